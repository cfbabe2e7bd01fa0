//! Static assets served by the binary: the workbench's own CSS and script, and the npm
//! packages embedded at build time.

use axum::http::{Method, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::http::api::{Access, Api, Op};

mod npm {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// Ningbo's district boundaries (GeoJSON FeatureCollection, names in Chinese).
pub fn ningbo_geojson() -> &'static [u8] {
    npm::NINGBO_GEOJSON
}

const CSS: &str = include_str!("../../static/app.css");
const APP_JS: &str = include_str!("../../static/app.js");

pub fn routes(api: Api) -> Api {
    let page = |path, summary| Op::page(Method::GET, path, Access::Public, summary);
    api.add(page("/static/app.css", "样式表"), get(|| async { asset("text/css; charset=utf-8", CSS.as_bytes()) }))
        .add(
            page("/static/app.js", "工作台脚本"),
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS.as_bytes()) }),
        )
        .add(
            page("/static/echarts.min.js", "ECharts"),
            get(|| async { asset("text/javascript; charset=utf-8", npm::ECHARTS_JS) }),
        )
        .add(
            page("/static/htmx.min.js", "htmx"),
            get(|| async { asset("text/javascript; charset=utf-8", npm::HTMX_JS) }),
        )
        .add(
            page("/static/ningbo.geojson", "宁波区县边界"),
            get(|| async { asset("application/geo+json", npm::NINGBO_GEOJSON) }),
        )
}

fn asset(content_type: &'static str, body: &'static [u8]) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=86400")], body)
}
