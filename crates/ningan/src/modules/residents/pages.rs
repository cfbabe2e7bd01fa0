//! The residents pages of the workbench: a searchable, sortable, paged list (masked) and a
//! detail page where officers who may reveal identifiers do so with a stated purpose.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use ningan_core::Action;
use ningan_store::{OrgUnit, PageRequest, Resident, ResidentQuery, ResidentSort, UnitKind};
use serde::Deserialize;

use super::ResidentDto;
use crate::app::AppState;
use crate::http::json::Path;
use crate::http::principal::Ctx;
use crate::web::page::{nonempty, opt_i64};
use crate::web::{Frame, PageError, PageResult, Pager, html};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    purpose: Option<String>,
    unit_id: Option<String>,
    sort: Option<String>,
    size: Option<String>,
    page: Option<String>,
    /// Where the page before ended (keyset paging; see `ningan_store::ResidentCursor`).
    after: Option<String>,
    /// `exact` counts every match instead of stopping at 10,000.
    count: Option<String>,
}

/// The filtered list as a file (CSV or XLSX), masked as on the page, at most
/// [`EXPORT_CAP`](crate::web::export::EXPORT_CAP) rows. Each page read is audited under the
/// people it shows, as the list is; a search by a full identifier needs its purpose here too.
async fn export(state: &AppState, ctx: &Ctx, q: ListQuery, format: crate::web::export::Format) -> PageResult<Response> {
    use crate::web::export::{Table, download, gather};
    let purpose = super::identifier_search_allowed(state, ctx, q.q.as_deref(), q.purpose.as_deref())
        .map_err(|e| PageError::from(e).framed(ctx))?;
    let sort = ResidentSort::parse(&nonempty(&q.sort).unwrap_or_else(|| "id".into())).unwrap_or_default();
    let query = ResidentQuery {
        q: nonempty(&q.q),
        unit_id: opt_i64(&q.unit_id),
        sort,
        purpose,
        after: None,
        exact_count: false,
    };
    let tr = crate::web::Tr::new(ctx.language());
    let units = state.db.units_in_scope(&ctx.scope()).await?;
    let station = |id: i64| {
        units.iter().find(|u| u.id == id).map(|u| tr.pick(&u.name, &u.name_en).to_string()).unwrap_or_default()
    };
    let query = &query;
    // Each page is read in its own write, so the search's audit of the people shown commits.
    let found = gather(|page| async move {
        let mut w = state.db.write().await?;
        let found = w.resident_search(&ctx.actor(), &ctx.scope(), query, page).await?;
        w.commit().await?;
        Ok::<_, ningan_store::StoreError>(found.items)
    })
    .await?;
    let rows = found
        .into_iter()
        .map(|r| {
            let unit = station(r.unit_id);
            let d = ResidentDto::masked(r);
            vec![d.name, d.id_number, d.gender, d.age_band, d.phone.unwrap_or_default(), unit]
        })
        .collect();
    let headers = [
        ("姓名", "Name"),
        ("身份证号", "ID number"),
        ("性别", "Gender"),
        ("年龄段", "Age band"),
        ("手机号", "Phone"),
        ("派出所", "Station"),
    ];
    let table = Table::new("residents", tr, &headers, rows);
    Ok(download(&table, format)?)
}

pub async fn export_csv(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult<Response> {
    export(&state, &ctx, q, crate::web::export::Format::Csv).await
}

pub async fn export_xlsx(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult<Response> {
    export(&state, &ctx, q, crate::web::export::Format::Xlsx).await
}

#[derive(Template)]
#[template(path = "residents/list.html")]
struct ListPage {
    frame: Frame,
    q: String,
    unit_id: Option<i64>,
    sort: String,
    stations: Vec<OrgUnit>,
    rows: Vec<Row>,
    pager: Pager,
    sorts: Vec<(&'static str, &'static str)>,
    can_reveal: bool,
    status: StatusCode,
    purpose: String,
    /// Why a search by a full identifier was not run, beside the purpose field.
    purpose_error: Option<String>,
}

impl ListPage {
    fn unit_selected(&self, id: &i64) -> bool {
        self.unit_id == Some(*id)
    }

    fn sort_is(&self, value: &str) -> bool {
        self.sort == value
    }
}

struct Row {
    dto: ResidentDto,
    station: String,
}

pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    let sort_name = nonempty(&q.sort).unwrap_or_else(|| "id".into());
    let sort = ResidentSort::parse(&sort_name).unwrap_or_default();
    let unit_id = opt_i64(&q.unit_id);
    let tr = Frame::for_principal(&ctx).tr;
    let (purpose, purpose_error) =
        match super::identifier_search_allowed(&state, &ctx, q.q.as_deref(), q.purpose.as_deref()) {
            Ok(p) => (p, None),
            Err(e) => {
                let msg = e.errors.first().map(|f| f.message.clone());
                (None, Some(msg.unwrap_or_else(|| tr.pick(&e.detail_zh, &e.detail_en).to_string())))
            }
        };
    // A stale or edited position is dropped: the page number still says where to go.
    let after = nonempty(&q.after).and_then(|a| ningan_store::ResidentCursor::parse(&a, sort));
    // Anything but `exact` counts as usual: the pager offers the exact count when it stops.
    let exact_count = q.count.as_deref() == Some("exact");
    let query = ResidentQuery { q: nonempty(&q.q), unit_id, sort, purpose, after, exact_count };
    let size = crate::web::page::page_size(&q.size);
    let page_req = PageRequest::new(opt_i64(&q.page), Some(size));
    let units = state.db.units_in_scope(&ctx.scope()).await?;
    let page = if purpose_error.is_some() {
        ningan_store::Page { items: Vec::new(), page: 1, per_page: size, total: 0 }
    } else {
        let mut w = state.db.write().await?;
        let page = w.resident_search(&ctx.actor(), &ctx.scope(), &query, page_req).await?;
        w.commit().await?;
        page
    };
    // A search by a full identifier carries its purpose into its links (the next page, the
    // export), each of which is checked and audited as a search again.
    let identifier = query.q.as_deref().is_some_and(ningan_store::is_identifier_search);
    let filters = [
        ("q", query.q.clone().unwrap_or_default()),
        ("unit_id", unit_id.map(|u| u.to_string()).unwrap_or_default()),
        ("sort", sort_name.clone()),
        ("purpose", if identifier { nonempty(&q.purpose).unwrap_or_default() } else { String::new() }),
        ("count", if exact_count { "exact".to_string() } else { String::new() }),
    ];
    let next = ningan_store::ResidentCursor::next(&page, sort);
    let pager = Pager::new("/residents", &filters, &page)
        .sizable()
        .capped_at(query.count_cap())
        .exact_count_offered()
        .next_after(next);
    let frame = Frame::for_principal(&ctx).crumb("/residents", "nav.residents");
    let en = ctx.language() == "en";
    let unit_name = |id: i64| {
        units
            .iter()
            .find(|u| u.id == id)
            .map(|u| if en { u.name_en.clone() } else { u.name.clone() })
            .unwrap_or_default()
    };
    let rows =
        page.items.into_iter().map(|r| Row { station: unit_name(r.unit_id), dto: ResidentDto::masked(r) }).collect();
    let sorts =
        ["id", "name", "birth_date", "newest"].iter().map(|s| (*s, frame.tr.t(&format!("res.sort.{s}")))).collect();
    let page = ListPage {
        q: query.q.unwrap_or_default(),
        unit_id,
        sort: sort_name,
        stations: units.into_iter().filter(|u| u.kind == UnitKind::Station).collect(),
        rows,
        pager,
        sorts,
        can_reveal: ctx.may(Action::ResidentReveal),
        purpose: q.purpose.unwrap_or_default(),
        status: if purpose_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK },
        purpose_error,
        frame,
    };
    Ok(html(page.status, &page))
}

#[derive(Template)]
#[template(path = "residents/detail.html")]
struct DetailPage {
    frame: Frame,
    r: ResidentDto,
    station: String,
    household_no: String,
    can_reveal: bool,
    revealed: bool,
    purpose: String,
    purpose_error: Option<String>,
    registered: String,
}

async fn detail_page(
    state: &AppState,
    ctx: &Ctx,
    r: Resident,
    revealed: bool,
    purpose: String,
    purpose_error: Option<String>,
) -> PageResult {
    let station = state.db.unit_by_id(r.unit_id).await.map(|u| u.name).unwrap_or_default();
    let household_no = r.household_no.clone().unwrap_or_default();
    let registered = ningan_core::time::format_ms(r.created_at);
    let frame = Frame::for_principal(ctx).crumb("/residents", "nav.residents").crumb_text("", &r.name);
    let status = if purpose_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = DetailPage {
        frame,
        r: if revealed { ResidentDto::revealed(r) } else { ResidentDto::masked(r) },
        station,
        household_no,
        can_reveal: ctx.may(Action::ResidentReveal),
        revealed,
        purpose,
        purpose_error,
        registered,
    };
    Ok(html(status, &page))
}

pub async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> PageResult {
    let mut w = state.db.write().await?;
    let r = w.resident_get(&ctx.actor(), &ctx.scope(), id, None).await.map_err(|e| PageError::from(e).framed(&ctx))?;
    w.commit().await?;
    detail_page(&state, &ctx, r, false, String::new(), None).await
}

#[derive(Deserialize)]
pub struct RevealForm {
    purpose: String,
}

pub async fn reveal(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<RevealForm>,
) -> PageResult<Response> {
    let checked = super::checked_purpose(&f.purpose);
    let mut w = state.db.write().await?;
    let Ok(purpose) = checked.map(|p| p.into_string()) else {
        // The masked view is still a view, and audited as one.
        let r =
            w.resident_get(&ctx.actor(), &ctx.scope(), id, None).await.map_err(|e| PageError::from(e).framed(&ctx))?;
        w.commit().await?;
        let tr = Frame::for_principal(&ctx).tr;
        let msg = tr.pick("请说明查看事由（2–200字）", "State a purpose of 2–200 characters").to_string();
        return detail_page(&state, &ctx, r, false, f.purpose, Some(msg)).await;
    };
    let r = w
        .resident_get(&ctx.actor(), &ctx.scope(), id, Some(&purpose))
        .await
        .map_err(|e| PageError::from(e).framed(&ctx))?;
    w.commit().await?;
    detail_page(&state, &ctx, r, true, purpose, None).await
}

pub async fn back_to_detail(Path(id): Path<i64>) -> axum::response::Redirect {
    axum::response::Redirect::to(&format!("/residents/{id}"))
}
