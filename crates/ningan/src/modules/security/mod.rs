//! Major-event security (重大活动安保): a plan for an event (when it runs), its venues with
//! their perimeters, posts with the strength each needs, officers of the commander's units
//! posted to them and checking in at their own post from where they stand, and the event's
//! board — posts staffed, and the 110 incidents inside the perimeters, from the command
//! module's incidents.
//!
//! Built on the module seam: storage and migration in `store/`; outside this folder it
//! touches `modules/mod.rs`, the access policy, `ningan-core::cap::Ring` (perimeters) and the
//! command module's incidents (read).

pub mod api;
pub mod demo;
pub mod error;
pub mod pages;
pub mod panel;
pub mod service;
pub mod store;
pub mod texts;

use axum::http::Method;
use axum::routing::{get, post};
use ningan_core::Action;

use crate::http::api::{Access, Api, Op};

pub use store::migrations::MIGRATIONS;

pub fn routes(api: Api) -> Api {
    let read = Access::Action(Action::SecurityRead);
    let manage = Access::Action(Action::SecurityManage);
    api.add(
        Op::api(Method::GET, "/api/security/plans", read, "security", "安保方案（本单位的，及本人有岗位的）")
            .response::<Vec<store::plans::Plan>>(),
        get(api::plans_list),
    )
    .add(
        Op::api(Method::POST, "/api/security/plans", manage, "security", "新建安保方案")
            .request::<service::PlanInput>()
            .response::<api::Created>()
            .status(201),
        post(api::plan_create),
    )
    .add(
        Op::api(Method::GET, "/api/security/plans/{id}", read, "security", "安保看板：场馆、岗位到岗、区域内警情")
            .response::<service::Board>(),
        get(api::plan_get),
    )
    .add(
        Op::api(Method::GET, "/api/security/plans/{id}/map", read, "security", "安保看板地图数据")
            .response::<api::MapDto>(),
        get(api::map),
    )
    .add(
        Op::api(Method::POST, "/api/security/plans/{id}/venues", manage, "security", "添加场馆与周界")
            .request::<service::VenueInput>()
            .response::<api::Created>()
            .status(201),
        post(api::venue_create),
    )
    .add(
        Op::api(Method::POST, "/api/security/plans/{id}/posts", manage, "security", "添加岗位（所需警力）")
            .request::<service::PostInput>()
            .response::<api::Created>()
            .status(201),
        post(api::post_create),
    )
    .add(
        Op::api(Method::POST, "/api/security/plans/{id}/assignments", manage, "security", "安排民警到岗位")
            .request::<service::AssignInput>()
            .response::<api::Created>()
            .status(201),
        post(api::assign),
    )
    .add(
        Op::api(Method::DELETE, "/api/security/assignments/{id}", manage, "security", "撤销安排").status(204),
        axum::routing::delete(api::unassign),
    )
    .add(
        Op::api(Method::POST, "/api/security/assignments/{id}/check-in", read, "security", "本人到岗签到（300米以内）")
            .request::<service::CheckInInput>()
            .response::<api::CheckedIn>(),
        post(api::check_in),
    )
    .add(Op::page(Method::GET, "/security", read, "重大活动安保"), get(pages::plans))
    .add(Op::page(Method::POST, "/security", manage, "新建安保方案"), post(pages::plan_create))
    .add(Op::page(Method::GET, "/security/plans/{id}", read, "安保看板"), get(pages::plan))
    .add(Op::page(Method::POST, "/security/plans/{id}/venues", manage, "添加场馆"), post(pages::venue_create))
    .add(Op::page(Method::POST, "/security/plans/{id}/posts", manage, "添加岗位"), post(pages::post_create))
    .add(Op::page(Method::POST, "/security/plans/{id}/assignments", manage, "安排民警"), post(pages::assign))
    .add(
        Op::page(Method::POST, "/security/plans/{id}/assignments/{assignment}/check-in", read, "到岗签到"),
        post(pages::check_in),
    )
}
