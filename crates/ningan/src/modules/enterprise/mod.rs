//! Enterprise services (惠企): the enterprise register with one liaison officer per
//! enterprise (一企一警) and their service rhythm, and the 11087 portal where enterprises file
//! requests that run a closed loop (受理 → 转办 → 反馈 → 办结 → 评估) across the three tiers of
//! the police–enterprise service system (station, district branch, city bureau), climbing a
//! tier when beyond the tier below or past its deadline.
//!
//! The first module built on the storage-in-module seam: its tables and migrations are in
//! `store/`, and it touches nothing outside this folder but `modules/mod.rs` and the access
//! policy.

pub mod api;
pub mod attach;
pub mod demo;
pub mod error;
pub mod import;
pub mod model;
pub mod pages;
pub mod panel;
pub mod portal;
pub mod portal_api;
pub mod portal_pages;
pub mod service;
pub mod store;
pub mod texts;
pub mod uscc;

use std::time::Duration;

use axum::http::Method;
use axum::routing::{get, post};
use ningan_core::Action;

use crate::app::AppState;
use crate::http::api::{Access, Api, Op};
use crate::http::dto::PageDto;
use crate::http::error::cause_chain;
use crate::http::rule::Refusal;

pub use store::migrations::MIGRATIONS;

pub fn routes(api: Api) -> Api {
    let read = Access::Action(Action::EnterpriseRead);
    let work = Access::Action(Action::EnterpriseWork);
    let manage = Access::Action(Action::EnterpriseManage);
    api.add(
        Op::api(
            Method::POST,
            "/api/enterprises",
            manage,
            "enterprise",
            "登记企业（统一社会信用代码校验，按位置确定所属派出所）",
        )
        .request::<service::EnterpriseInput>()
        .response::<api::EnterpriseDto>(),
        post(api::create),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/enterprises/import",
            manage,
            "enterprise",
            "导入企业名录（CSV 或 XLSX，逐行报告拒收原因）",
        )
        .file_body(crate::web::import::MEDIA_TYPES)
        .response::<import::ImportReport>(),
        post(api::import),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/enterprises",
            read,
            "enterprise",
            "企业名录（本单位范围；可按名称、行业、重点、到期筛选）",
        )
        .query(&[
            ("q", "名称或信用代码"),
            ("industry", "行业门类 A–T"),
            ("key", "1：仅重点企业"),
            ("due", "1：三天内到期或已超期的联系、走访"),
            ("mine", "1：仅本人联络"),
            ("sort", "due | name"),
            ("page", "页码"),
            ("per_page", "每页条数"),
        ])
        .response::<PageDto<api::EnterpriseDto>>()
        .query_type::<api::ListQuery>(),
        get(api::list),
    )
    .add(
        Op::api(Method::GET, "/api/enterprises/{id}", read, "enterprise", "企业详情与服务档案")
            .response::<api::EnterpriseDetailDto>(),
        get(api::detail),
    )
    .add(
        Op::api(Method::POST, "/api/enterprises/{id}/liaison", manage, "enterprise", "指定或更换联络民警（留存历史）")
            .request::<api::AssignRequest>(),
        post(api::assign),
    )
    .add(
        Op::api(Method::POST, "/api/enterprises/{id}/contacts", work, "enterprise", "记录联系或走访")
            .request::<api::ContactRequest>()
            .status(201),
        post(api::contact),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/enterprises/{id}/accounts",
            manage,
            "enterprise",
            "开通企业管理员账号（11087 平台）",
        )
        .request::<api::AccountRequest>()
        .status(201),
        post(api::account),
    )
    .add(
        Op::api(Method::POST, "/api/enterprise-notices", manage, "enterprise", "向企业发布通知（按区县、行业）")
            .request::<api::NoticeRequest>()
            .status(201),
        post(api::notice),
    )
    .add(
        Op::api(Method::GET, "/api/enterprise-requests", read, "enterprise", "涉企诉求（受理、督办看板）")
            .query(&[
                ("stage", "submitted | accepted | assigned | replied | closed | evaluated"),
                ("tier", "station | district | city"),
                ("category", "诉求类别"),
                ("overdue", "1：仅超期"),
                ("here", "1：仅本单位正在办理"),
                ("q", "编号、标题或企业名称"),
                ("page", "页码"),
                ("per_page", "每页条数"),
            ])
            .response::<PageDto<api::RequestDto>>()
            .query_type::<api::BoardQuery>(),
        get(api::board),
    )
    .add(
        Op::api(Method::GET, "/api/enterprise-requests/{id}", read, "enterprise", "诉求详情、流转记录与可办操作")
            .response::<api::RequestDetailDto>(),
        get(api::request_detail),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/enterprise-requests/{id}/actions",
            work,
            "enterprise",
            "办理诉求：受理、转办、反馈、办结、提请上级、下发、督办",
        )
        .request::<api::ActRequest>(),
        post(api::act),
    )
    .add(Op::page(Method::GET, "/enterprises", read, "企业名录与到期联系"), get(pages::list))
    .add(Op::page(Method::GET, "/enterprises.csv", manage, "导出企业名录（CSV）"), get(pages::export_csv))
    .add(Op::page(Method::GET, "/enterprises.xlsx", manage, "导出企业名录（XLSX）"), get(pages::export_xlsx))
    .add(Op::page(Method::GET, "/enterprises/attachments/{id}", read, "诉求附件"), get(api::attachment))
    .add(
        Op::page(Method::GET, "/enterprise/attachments/{id}", Access::Public, "11087：诉求附件"),
        get(portal_api::attachment),
    )
    .add(Op::page(Method::GET, "/enterprises/notices", read, "涉企通知"), get(pages::notices))
    .add(Op::page(Method::POST, "/enterprises/notices", manage, "发布涉企通知"), post(pages::notice))
    .add(Op::page(Method::GET, "/enterprises/import", manage, "导入企业名录"), get(pages::import_form))
    .add(Op::page(Method::POST, "/enterprises/import", manage, "导入企业名录"), post(pages::import))
    .add(Op::page(Method::GET, "/enterprises/{id}", read, "企业服务档案"), get(pages::detail))
    .add(Op::page(Method::POST, "/enterprises/{id}/contacts", work, "记录联系或走访"), post(pages::contact))
    .add(Op::page(Method::POST, "/enterprises/{id}/liaison", manage, "更换联络民警"), post(pages::liaison))
    .add(Op::page(Method::GET, "/enterprises/requests", read, "涉企诉求看板（督办）"), get(pages::board))
    .add(Op::page(Method::GET, "/enterprises/requests/{id}", read, "诉求详情与办理"), get(pages::request))
    .add(Op::page(Method::POST, "/enterprises/requests/{id}/actions", work, "办理诉求"), post(pages::act))
    .add(Op::page(Method::GET, "/enterprise", Access::Public, "11087 企业服务平台"), get(portal_pages::home))
    .add(Op::page(Method::POST, "/enterprise/code", Access::Public, "11087：发送验证码"), post(portal_pages::code))
    .add(Op::page(Method::POST, "/enterprise/session", Access::Public, "11087：登录"), post(portal_pages::sign_in))
    .add(Op::page(Method::POST, "/enterprise/logout", Access::Public, "11087：退出"), post(portal_pages::logout))
    .add(Op::page(Method::POST, "/enterprise/accounts", Access::Public, "11087：邀请同事"), post(portal_pages::invite))
    .add(
        Op::page(Method::GET, "/enterprise/requests/new", Access::Public, "11087：提交诉求"),
        get(portal_pages::new_form),
    )
    .add(Op::page(Method::POST, "/enterprise/requests", Access::Public, "11087：提交诉求"), post(portal_pages::create))
    .add(
        Op::page(Method::GET, "/enterprise/requests/{id}", Access::Public, "11087：诉求进度"),
        get(portal_pages::request),
    )
    .add(
        Op::page(Method::POST, "/enterprise/requests/{id}/rating", Access::Public, "11087：评价"),
        post(portal_pages::rate),
    )
    .add(
        Op::api(Method::POST, "/api/enterprise/code", Access::Public, "enterprise-portal", "11087：发送登录验证码")
            .request::<portal_api::CodeRequest>()
            .response::<portal_api::CodeSent>()
            .status(202)
            .answers(&[429]),
        post(portal_api::code),
    )
    .add(
        Op::api(Method::POST, "/api/enterprise/session", Access::Public, "enterprise-portal", "11087：验证码登录")
            .request::<portal_api::SignInRequest>()
            .response::<portal_api::SignedIn>()
            .answers(&[429]),
        post(portal_api::sign_in),
    )
    .add(
        Op::api(Method::GET, "/api/enterprise/me", Access::Public, "enterprise-portal", "11087：本企业与联络民警")
            .response::<portal_api::MeDto>(),
        get(portal_api::me),
    )
    .add(
        Op::api(Method::POST, "/api/enterprise/accounts", Access::Public, "enterprise-portal", "11087：管理员邀请同事")
            .request::<portal_api::InviteRequest>(),
        post(portal_api::invite),
    )
    .add(
        Op::api(Method::GET, "/api/enterprise/requests", Access::Public, "enterprise-portal", "11087：本企业诉求")
            .response::<PageDto<api::RequestDto>>()
            .query_type::<portal_api::PageQuery>(),
        get(portal_api::my_requests),
    )
    .add(
        Op::api(Method::POST, "/api/enterprise/requests", Access::Public, "enterprise-portal", "11087：提交诉求")
            .request::<portal_api::NewRequestBody>()
            .response::<portal_api::Filed>(),
        post(portal_api::create_request),
    )
    .add(
        Op::api(Method::GET, "/api/enterprise/requests/{id}", Access::Public, "enterprise-portal", "11087：诉求进度")
            .response::<portal_api::MyRequestDto>(),
        get(portal_api::my_request),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/enterprise/requests/{id}/rating",
            Access::Public,
            "enterprise-portal",
            "11087：评价办结诉求",
        )
        .request::<portal_api::RatingBody>(),
        post(portal_api::rate),
    )
    .add(
        Op::api(Method::GET, "/api/enterprise/notices", Access::Public, "enterprise-portal", "11087：发给本企业的通知")
            .response::<PageDto<portal_api::NoticeDto>>()
            .query_type::<portal_api::PageQuery>(),
        get(portal_api::notices),
    )
}

/// Every minute, requests past their deadline climb one tier.
pub fn start(state: &AppState) {
    let db = state.db.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            match service::sweep_overdue(&db, ningan_core::time::now_ms()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(moved = n, "overdue enterprise requests sent up a tier"),
                Err(e) => {
                    tracing::warn!(error = %cause_chain(&e), code = Refusal::code(&e), "enterprise request sweep failed")
                }
            }
        }
    });
}
