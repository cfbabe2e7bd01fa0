//! Static assets served by the binary: the workbench's own CSS, script and icon, and the npm
//! packages embedded at build time. Each is gzipped once, on first use, and named in pages
//! by a URL carrying its content hash, so browsers keep it for a year and fetch it again only
//! when a new build changed it; unhashed requests revalidate by ETag.

use std::sync::{LazyLock, OnceLock};

use axum::extract::Query;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
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
const MAP_JS: &str = include_str!("../../static/map.js");
const BOARD_JS: &str = include_str!("../../static/board.js");
const GRAPH_JS: &str = include_str!("../../static/graph.js");
const FAVICON: &str = include_str!("../../static/favicon.svg");

struct Asset {
    name: &'static str,
    path: &'static str,
    content_type: &'static str,
    /// A function, not bytes, because one asset (the demo city's roads) is generated at start.
    body: fn() -> &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";
const STYLE: &str = "text/css; charset=utf-8";

const ASSETS: &[Asset] = &[
    Asset { name: "app.css", path: "/static/app.css", content_type: STYLE, body: || CSS.as_bytes() },
    Asset { name: "app.js", path: "/static/app.js", content_type: JS, body: || APP_JS.as_bytes() },
    Asset { name: "map.js", path: "/static/map.js", content_type: JS, body: || MAP_JS.as_bytes() },
    Asset { name: "board.js", path: "/static/board.js", content_type: JS, body: || BOARD_JS.as_bytes() },
    Asset { name: "graph.js", path: "/static/graph.js", content_type: JS, body: || GRAPH_JS.as_bytes() },
    Asset { name: "echarts.min.js", path: "/static/echarts.min.js", content_type: JS, body: || npm::ECHARTS_JS },
    Asset { name: "htmx.min.js", path: "/static/htmx.min.js", content_type: JS, body: || npm::HTMX_JS },
    Asset { name: "leaflet.js", path: "/static/leaflet.js", content_type: JS, body: || npm::LEAFLET_JS },
    Asset { name: "leaflet.css", path: "/static/leaflet.css", content_type: STYLE, body: || npm::LEAFLET_CSS },
    Asset {
        name: "leaflet.markercluster.js",
        path: "/static/leaflet.markercluster.js",
        content_type: JS,
        body: || npm::CLUSTER_JS,
    },
    Asset {
        name: "MarkerCluster.css",
        path: "/static/MarkerCluster.css",
        content_type: STYLE,
        body: || npm::CLUSTER_CSS,
    },
    Asset {
        name: "MarkerCluster.Default.css",
        path: "/static/MarkerCluster.Default.css",
        content_type: STYLE,
        body: || npm::CLUSTER_DEFAULT_CSS,
    },
    Asset {
        name: "ningbo.geojson",
        path: "/static/ningbo.geojson",
        content_type: "application/geo+json",
        body: || npm::NINGBO_GEOJSON,
    },
    Asset {
        name: "roads.geojson",
        path: "/static/roads.geojson",
        content_type: "application/geo+json",
        body: crate::geo::roads_geojson,
    },
    Asset {
        name: "favicon.svg",
        path: "/static/favicon.svg",
        content_type: "image/svg+xml",
        body: || FAVICON.as_bytes(),
    },
];

/// Each asset's content hash, for the URLs pages name (cheap: a SHA-256 pass at first use).
static HASHES: LazyLock<Vec<String>> = LazyLock::new(|| {
    use sha2::{Digest, Sha256};
    ASSETS.iter().map(|a| hex::encode(&Sha256::digest((a.body)())[..8])).collect()
});

/// Each asset gzipped, made once per asset when first needed; [`warm`] makes them all off the
/// request path at start, so no page waits for ECharts to be compressed.
static GZIPPED: [OnceLock<Vec<u8>>; ASSETS.len()] = [const { OnceLock::new() }; ASSETS.len()];

fn gzipped(i: usize) -> &'static [u8] {
    GZIPPED[i].get_or_init(|| {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing into a Vec cannot fail.
        std::io::Write::write_all(&mut enc, (ASSETS[i].body)()).and_then(|_| enc.finish()).unwrap_or_default()
    })
}

/// Compresses every asset on a blocking thread; called once at server start.
pub fn warm() {
    tokio::task::spawn_blocking(|| {
        for i in 0..ASSETS.len() {
            gzipped(i);
        }
    });
}

/// The URL pages use for an asset: `/static/<name>?v=<content hash>`.
pub fn href(name: &str) -> String {
    match ASSETS.iter().position(|a| a.name == name) {
        Some(i) => format!("/static/{name}?v={}", HASHES[i]),
        None => format!("/static/{name}"),
    }
}

pub fn routes(mut api: Api) -> Api {
    for (i, a) in ASSETS.iter().enumerate() {
        api = api.add(
            Op::page(Method::GET, a.path, Access::Public, a.name),
            get(move |q: Query<Version>, h: HeaderMap| async move { serve(i, q.0, &h) }),
        );
    }
    // Browsers ask for /favicon.ico on their own.
    let ico = ASSETS.iter().position(|a| a.name == "favicon.svg").unwrap_or(0);
    api.add(
        Op::page(Method::GET, "/favicon.ico", Access::Public, "favicon"),
        get(move |q: Query<Version>, h: HeaderMap| async move { serve(ico, q.0, &h) }),
    )
}

#[derive(serde::Deserialize)]
struct Version {
    v: Option<String>,
}

fn serve(i: usize, version: Version, headers: &HeaderMap) -> Response {
    let (asset, hash) = (&ASSETS[i], &HASHES[i]);
    let etag = format!("\"{hash}\"");
    let cache =
        if version.v.as_deref() == Some(hash.as_str()) { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut out = HeaderMap::new();
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, v);
    }
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains(&etag)) {
        return (StatusCode::NOT_MODIFIED, out).into_response();
    }
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    let gzip_ok = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let packed = if gzip_ok { gzipped(i) } else { &[] };
    if !packed.is_empty() {
        out.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        (out, packed).into_response()
    } else {
        (out, (asset.body)()).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_urls_carry_the_content_hash() {
        let url = href("app.css");
        assert!(url.starts_with("/static/app.css?v="), "{url}");
        assert_eq!(url.len(), "/static/app.css?v=".len() + 16);
    }

    #[test]
    fn gzipped_assets_unpack_to_the_original() {
        use std::io::Read;
        for (i, a) in ASSETS.iter().enumerate() {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(gzipped(i)).read_to_end(&mut out).unwrap();
            assert_eq!(out, (a.body)(), "{}", a.name);
        }
    }
}
