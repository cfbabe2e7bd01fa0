//! Citizen services (便民): the catalogue of household-registration items, applications filed
//! on the portal or at any station's counter and routed to the handling station, their
//! timeline and decision, service ratings, and the citizen portal with its record of every
//! access to the citizen's data.

pub mod applications;
pub mod catalogue;
pub mod catalogue_pages;
pub mod crosscity;
pub mod demo;
pub mod error;
pub mod exchange;
pub mod fields;
pub mod flags;
pub mod outbox;
pub mod pages;
pub mod panel;
pub mod portal;
pub mod portal_pages;
pub mod shipped;
pub mod texts;

use axum::http::Method;
use axum::routing::{get, post, put};
use ningan_core::Action;

use crate::app::AppState;
use crate::http::api::{Access, Api, Op};
use crate::http::dto::PageDto;

/// The workers that talk to other systems: the data exchange, the identity-change outbox
/// and the cross-city forwarding.
pub fn start(state: &AppState) {
    exchange::spawn_worker(state.clone());
    outbox::spawn_worker(state.clone());
    crosscity::spawn_worker(state.clone());
}

pub fn routes(api: Api) -> Api {
    let work = Access::Action(Action::ApplicationWork);
    let citizen = Access::Citizen;
    api.add(
        Op::api(Method::GET, "/api/services/items", Access::Public, "services", "办事事项目录（办事指南与表单）")
            .response::<Vec<catalogue::ItemDto>>()
            .query(&[
                ("q", "名称或代码（部分）"),
                ("category", "类别"),
                ("citywide", "true：仅全城通办"),
                ("crosscity", "true：仅跨市通办"),
            ])
            .query_type::<catalogue::ItemsQuery>(),
        get(catalogue::list),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/services/items",
            Access::CityWide(Action::ServiceManage),
            "services",
            "新增办事事项（版本1）",
        )
        .request::<catalogue::NewItemRequest>()
        .response::<catalogue::ItemDto>()
        .status(201),
        post(catalogue::create),
    )
    .add(
        Op::api(Method::GET, "/api/services/items/{code}", Access::Public, "services", "办事事项的指南与表单")
            .response::<catalogue::ItemDto>(),
        get(catalogue::show),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/services/items/{code}/versions",
            Access::CityWide(Action::ServiceManage),
            "services",
            "办事事项的历次版本（修改人、时间、理由与改动项）",
        )
        .response::<Vec<catalogue::VersionDto>>(),
        get(catalogue::versions),
    )
    .add(
        Op::api(
            Method::PUT,
            "/api/services/items/{code}",
            Access::CityWide(Action::ServiceManage),
            "services",
            "修改或停办办事事项（新版本，须说明理由）",
        )
        .request::<catalogue::ItemRequest>()
        .response::<catalogue::ItemDto>(),
        put(catalogue::update),
    )
    .add(
        Op::api(Method::GET, "/api/services/applications", work, "services", "本单位办事申请")
            .query(&[("status", "submitted | accepted | approved | rejected"), ("page", "页码")])
            .response::<PageDto<applications::ApplicationDto>>()
            .query_type::<applications::ListQuery>(),
        get(applications::list),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/services/applications",
            work,
            "services",
            "窗口录入办事申请（全城通办事项由本所办理）",
        )
        .request::<applications::CounterRequest>()
        .response::<applications::FiledDto>()
        .status(201),
        post(applications::counter),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/services/counter/code",
            work,
            "services",
            "向申请人登记手机发送确认码（窗口办理身份信息变更时由本人确认）",
        )
        .request::<applications::CounterCodeRequest>()
        .response::<portal::CodeSent>()
        .status(202),
        post(applications::counter_code),
    )
    .add(
        Op::api(Method::GET, "/api/services/applications/{id}", work, "services", "办事申请详情与进度")
            .response::<applications::ApplicationDetailDto>(),
        get(applications::show),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/services/applications/{id}/reply",
            work,
            "services",
            "答复差评（1至2分，群众可见，一次）",
        )
        .request::<applications::ReplyRequest>()
        .status(204),
        post(applications::reply_api),
    )
    .add(
        Op::api(Method::POST, "/api/services/applications/{id}/decide", work, "services", "受理、准予或不予办理")
            .request::<applications::DecideRequest>()
            .response::<applications::ApplicationDetailDto>(),
        post(applications::decide_api),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/services/applications/{id}/facts/{fact}/verify",
            work,
            "services",
            "人工核验一项信息（交换无结果或申请人有异议时）",
        )
        .request::<applications::ManualCheckRequest>()
        .response::<applications::ApplicationDetailDto>(),
        post(applications::manual_check_api),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/services/agencies",
            Access::Action(Action::ServiceManage),
            "services",
            "数据共享协作单位",
        )
        .response::<Vec<applications::AgencyDto>>(),
        get(applications::agencies),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/exchange/keys",
            Access::Public,
            "services",
            "公安局数据交换签名公钥（Ed25519，现用与已停用），供协作单位验签",
        )
        .response::<Vec<crate::trust::KeyDto>>(),
        get(crate::trust::bureau_keys),
    )
    .add(
        Op::api(
            Method::PUT,
            "/api/services/agencies/{code}",
            Access::CityWide(Action::ServiceManage),
            "services",
            "登记协作单位（提供的证明材料、接口地址、签名密钥、身份变更订阅地址）",
        )
        .request::<applications::AgencyRequest>()
        .response::<Vec<applications::AgencyDto>>(),
        put(applications::agency_put),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/services/deliveries",
            Access::CityWide(Action::ServiceManage),
            "services",
            "身份变更推送（含死信）",
        )
        .query(&[
            ("status", "pending | delivered | acknowledged | awaiting_validation | failed | dead"),
            ("page", "页码"),
        ])
        .response::<PageDto<outbox::DeliveryDto>>()
        .query_type::<outbox::DeliveryQuery>(),
        get(outbox::list),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/services/deliveries/{id}/redrive",
            Access::CityWide(Action::ServiceManage),
            "services",
            "重新推送失败的身份变更",
        )
        .status(204),
        post(outbox::redrive_api),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/services/changes/{change_id}/ack",
            Access::Public,
            "services",
            "协作单位确认已核验身份变更（以单位密钥签名）",
        )
        .headers(outbox::SIGNED_BY_AGENCY)
        .optional_headers(crate::trust::SIGNED_WITH_ED25519)
        .status(204),
        post(outbox::ack),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/services/crosscity",
            work,
            "services",
            "跨市通办：受理外市户籍人员申请并转递户籍地",
        )
        .request::<crosscity::ForwardRequest>()
        .response::<crosscity::ForwardedDto>()
        .status(201),
        post(crosscity::forward),
    )
    .add(
        Op::api(Method::GET, "/api/services/crosscity", work, "services", "跨市通办：本单位转递的申请及对方办理进度")
            .query(&[("page", "页码")])
            .response::<PageDto<crosscity::ForwardedDto>>()
            .query_type::<crosscity::ListQuery>(),
        get(crosscity::list),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/crosscity/applications",
            Access::Public,
            "crosscity",
            "（城市间）接收外市转递的申请，以共享密钥签名",
        )
        .headers(crosscity::SIGNED_BY_CITY)
        .optional_headers(crate::trust::SIGNED_WITH_ED25519)
        .request::<crosscity::IncomingRequest>()
        .response::<crosscity::RemoteStatus>()
        .status(201)
        .answers(&[200]),
        post(crosscity::incoming),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/crosscity/applications/{no}",
            Access::Public,
            "crosscity",
            "（城市间）查询转递申请的办理进度",
        )
        .headers(crosscity::SIGNED_BY_CITY)
        .optional_headers(crate::trust::SIGNED_WITH_ED25519)
        .response::<crosscity::RemoteStatus>(),
        get(crosscity::incoming_status),
    )
    .add(
        Op::api(
            Method::GET,
            "/api/audit/flags",
            Access::Action(Action::AuditRead),
            "audit",
            "群众对数据访问提出的疑问",
        )
        .query(&[("status", "open（待答复）或 resolved（已答复）"), ("page", "页码")])
        .response::<PageDto<flags::FlagDto>>()
        .query_type::<flags::FlagQuery>(),
        get(flags::list),
    )
    .add(Op::page(Method::GET, "/audit/questions", Access::Action(Action::AuditRead), "群众疑问处理"), get(flags::page))
    .add(
        Op::page(Method::POST, "/audit/questions/{id}/answer", Access::Action(Action::AuditRead), "答复群众疑问"),
        post(flags::answer_form),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/audit/flags/{id}/resolve",
            Access::Action(Action::AuditRead),
            "audit",
            "核查并答复群众疑问",
        )
        .request::<flags::ResolveRequest>()
        .status(204),
        post(flags::resolve),
    )
    .add(
        Op::api(Method::GET, "/api/services/ratings", work, "services", "各派出所好差评统计")
            .response::<Vec<applications::RatingDto>>(),
        get(applications::ratings),
    )
    .add(
        Op::api(Method::POST, "/api/portal/code", Access::Public, "portal", "群众登录：向登记手机发送验证码")
            .request::<portal::CodeRequest>()
            .response::<portal::CodeSent>()
            .status(202)
            .answers(&[429]),
        post(portal::code_api),
    )
    .add(
        Op::api(Method::POST, "/api/portal/session", Access::Public, "portal", "群众登录：验证码换取会话")
            .request::<portal::SignInRequest>()
            .response::<portal::SignedIn>()
            .answers(&[429]),
        post(portal::session_api),
    )
    .add(
        Op::api(Method::GET, "/api/portal/items", citizen, "portal", "可办事项").response::<Vec<catalogue::ItemDto>>(),
        get(portal::catalogue),
    )
    .add(
        Op::api(Method::GET, "/api/portal/applications", citizen, "portal", "我的申请")
            .response::<Vec<applications::ApplicationDto>>(),
        get(portal::my_applications),
    )
    .add(
        Op::api(Method::POST, "/api/portal/applications", citizen, "portal", "网上申请")
            .request::<portal::ApplyRequest>()
            .response::<applications::FiledDto>()
            .status(201),
        post(portal::apply_api),
    )
    .add(
        Op::api(Method::GET, "/api/portal/applications/{no}", citizen, "portal", "我的申请进度")
            .response::<portal::MyApplicationDto>(),
        get(portal::my_application_api),
    )
    .add(
        Op::api(Method::POST, "/api/portal/applications/{no}/rating", citizen, "portal", "服务评价（好差评）")
            .request::<portal::RateRequest>()
            .status(204),
        post(portal::rate_api),
    )
    .add(
        Op::api(
            Method::POST,
            "/api/portal/applications/{no}/facts/{fact}/reject",
            citizen,
            "portal",
            "对核验结果提出异议（改为人工核验）",
        )
        .response::<portal::MyApplicationDto>(),
        post(portal::reject_fact_api),
    )
    .add(
        Op::api(Method::GET, "/api/portal/data-access", citizen, "portal", "我的数据查询记录")
            .query(&[("page", "页码")])
            .response::<PageDto<portal::AccessDto>>()
            .query_type::<portal::PageQuery>(),
        get(portal::accesses_api),
    )
    .add(
        Op::api(Method::POST, "/api/portal/data-access/{seq}/flag", citizen, "portal", "对一次数据访问提出疑问")
            .request::<portal::FlagRequest>()
            .status(201),
        post(portal::flag_api),
    )
    .add(Op::page(Method::GET, "/portal/login", Access::Public, "群众登录"), get(portal_pages::login_page))
    .add(Op::page(Method::POST, "/portal/login/code", Access::Public, "获取验证码"), post(portal_pages::login_code))
    .add(Op::page(Method::POST, "/portal/login", Access::Public, "验证码登录"), post(portal_pages::login))
    .add(Op::page(Method::POST, "/portal/logout", citizen, "退出"), post(portal_pages::logout))
    .add(Op::page(Method::GET, "/portal", citizen, "我的办事"), get(portal_pages::home))
    .add(Op::page(Method::GET, "/portal/apply/{code}", citizen, "网上申请"), get(portal_pages::apply_form))
    .add(Op::page(Method::POST, "/portal/apply/{code}", citizen, "提交申请"), post(portal_pages::apply_submit))
    .add(Op::page(Method::GET, "/portal/applications/{no}", citizen, "申请进度"), get(portal_pages::application_page))
    .add(Op::page(Method::POST, "/portal/applications/{no}/rating", citizen, "服务评价"), post(portal_pages::rate_form))
    .add(
        Op::page(Method::POST, "/portal/applications/{no}/facts/{fact}/reject", citizen, "对核验结果提出异议"),
        post(portal_pages::reject_fact_form),
    )
    .add(Op::page(Method::GET, "/portal/data-access", citizen, "我的数据查询记录"), get(portal_pages::access_page))
    .add(Op::page(Method::POST, "/portal/data-access/{seq}/flag", citizen, "提出疑问"), post(portal_pages::flag_form))
    .add(Op::page(Method::GET, "/services/applications", work, "办事申请"), get(pages::list))
    .add(Op::page(Method::GET, "/services/applications.csv", work, "办事申请导出（CSV）"), get(pages::export_csv))
    .add(Op::page(Method::GET, "/services/applications.xlsx", work, "办事申请导出（XLSX）"), get(pages::export_xlsx))
    .add(
        Op::page(Method::GET, "/services/catalogue", Access::CityWide(Action::ServiceManage), "办事事项目录"),
        get(catalogue_pages::list),
    )
    .add(
        Op::page(
            Method::GET,
            "/services/catalogue.csv",
            Access::CityWide(Action::ServiceManage),
            "办事事项目录导出（CSV）",
        ),
        get(catalogue_pages::export_csv),
    )
    .add(
        Op::page(Method::GET, "/services/catalogue/new", Access::CityWide(Action::ServiceManage), "新增办事事项"),
        get(catalogue_pages::new_page),
    )
    .add(
        Op::page(Method::POST, "/services/catalogue", Access::CityWide(Action::ServiceManage), "新增办事事项"),
        post(catalogue_pages::create),
    )
    .add(
        Op::page(Method::GET, "/services/catalogue/{code}", Access::CityWide(Action::ServiceManage), "办事事项与版本"),
        get(catalogue_pages::show),
    )
    .add(
        Op::page(
            Method::POST,
            "/services/catalogue/{code}",
            Access::CityWide(Action::ServiceManage),
            "修改或停办办事事项",
        ),
        post(catalogue_pages::update),
    )
    .add(
        Op::page(Method::GET, "/services/deliveries", Access::CityWide(Action::ServiceManage), "身份变更推送"),
        get(pages::deliveries),
    )
    .add(
        Op::page(
            Method::POST,
            "/services/deliveries/{id}/redrive",
            Access::CityWide(Action::ServiceManage),
            "重新推送",
        ),
        post(pages::redrive),
    )
    .add(Op::page(Method::POST, "/services/applications/counter", work, "窗口录入"), post(pages::counter))
    .add(
        Op::page(Method::POST, "/services/applications/counter/code", work, "发送本人确认码"),
        post(pages::counter_code),
    )
    .add(Op::page(Method::POST, "/services/crosscity", work, "跨市通办转递"), post(pages::forward))
    .add(Op::page(Method::GET, "/services/applications/{id}", work, "办事申请详情"), get(pages::show))
    .add(Op::page(Method::POST, "/services/applications/{id}/decide", work, "办理申请"), post(pages::decide))
    .add(Op::page(Method::POST, "/services/applications/{id}/reply", work, "答复差评"), post(pages::reply))
    .add(
        Op::page(Method::POST, "/services/applications/{id}/facts/{fact}/verify", work, "人工核验"),
        post(pages::manual_check),
    )
    .add(Op::page(Method::GET, "/services/applications/{id}/proof", work, "打印核验结果"), get(pages::proof))
}
