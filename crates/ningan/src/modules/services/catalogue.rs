//! The shipped catalogue of household-registration items (户籍业务) and the facts they need.
//! Facts the bureau holds are checked against its own register; the rest come from the
//! partner agency named as their source, through the data exchange, never as paper.

use axum::extract::State;
use ningan_store::{NewServiceItem, ServiceFact, ServiceItem};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::refuse;
use crate::app::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::json::{Json, Path};
use crate::http::principal::Ctx;
use crate::http::rule::Rule;

pub const FACTS: &[(&str, &str, &str)] = &[
    ("identity", "身份信息（姓名、公民身份号码、出生日期）", "bureau"),
    ("household", "户籍信息（户号、户籍地址、户内成员）", "bureau"),
    ("birth_certificate", "出生医学证明", "health"),
    ("marriage_record", "婚姻登记信息", "civil_affairs"),
    ("property_record", "不动产权属信息", "real_estate"),
    ("school_enrolment", "学籍信息", "education"),
    ("social_insurance", "社会保险参保缴费信息", "hrss"),
    ("death_record", "死亡医学证明", "health"),
];

/// English for the shipped catalogue's texts (item names, categories, facts, fields, basis);
/// items a bureau adds itself show their Chinese name in both languages until it gives one.
const ENGLISH: &[(&str, &str)] = &[
    ("身份信息（姓名、公民身份号码、出生日期）", "Identity (name, ID number, date of birth)"),
    ("户籍信息（户号、户籍地址、户内成员）", "Household registration (number, address, members)"),
    ("出生医学证明", "Medical birth certificate"),
    ("婚姻登记信息", "Marriage registration"),
    ("不动产权属信息", "Property ownership record"),
    ("学籍信息", "School enrolment record"),
    ("社会保险参保缴费信息", "Social insurance contributions"),
    ("死亡医学证明", "Medical death certificate"),
    ("出生登记", "Birth registration"),
    ("户口登记", "Household registration"),
    ("新生儿姓名", "Newborn's name"),
    ("夫妻投靠迁入", "Moving in to join a spouse"),
    ("户口迁移", "Household moves"),
    ("原户籍地址", "Previous registered address"),
    ("购房迁入", "Moving in after buying a home"),
    ("房产地址", "Property address"),
    ("人才引进迁入", "Moving in as recruited talent"),
    ("工作单位", "Employer"),
    ("大中专学生迁入", "Moving in as a student"),
    ("学校", "School"),
    ("市内户口迁移", "Moving within the city"),
    ("迁入地址", "New registered address"),
    ("户口迁出", "Moving out"),
    ("迁往城市", "Destination city"),
    ("变更姓名", "Change of name"),
    ("户口项目变更更正", "Changes and corrections to the register"),
    ("新姓名", "New name"),
    ("变更理由", "Reason for the change"),
    ("更正出生日期", "Correction of date of birth"),
    ("正确出生日期（YYYY-MM-DD）", "Correct date of birth (YYYY-MM-DD)"),
    ("更正公民身份号码", "Correction of ID number"),
    ("正确公民身份号码", "Correct ID number"),
    ("更正原因", "Reason for the correction"),
    ("变更户籍地址（门牌调整）", "Change of registered address (renumbering)"),
    ("新地址", "New address"),
    ("居民身份证首次申领", "First resident ID card"),
    ("居民身份证", "Resident ID card"),
    ("居民身份证有效期满换领", "ID card renewal on expiry"),
    ("居民身份证丢失补领", "Replacement of a lost ID card"),
    ("丢失时间地点", "When and where it was lost"),
    ("临时居民身份证申领", "Temporary resident ID card"),
    ("死亡注销户口", "Deregistration after a death"),
    ("死者公民身份号码", "ID number of the deceased"),
    ("户口簿补领", "Replacement household register booklet"),
    ("居住证申领", "Residence permit"),
    ("流动人口", "Non-local residents"),
    ("居住地址", "Address of residence"),
    (
        "《中华人民共和国户口登记条例》《浙江省户口登记管理规定》",
        "PRC Household Registration Regulations; Zhejiang Household Registration Rules",
    ),
    (
        "本市户籍居民本人（未成年人由监护人代为申请）",
        "Residents registered in the city, in person (a guardian applies for a minor)",
    ),
];

/// The English of a catalogue text, or the text itself when it has none.
pub fn english(zh: &str) -> &str {
    ENGLISH.iter().find(|(z, _)| *z == zh).map_or(zh, |(_, e)| e)
}

type Item = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    i64,
    bool,
    bool,
);

/// (code, name, category, facts, fields, days, citywide, crosscity).
const ITEMS: &[Item] = &[
    (
        "birth-registration",
        "出生登记",
        "户口登记",
        &["identity", "household", "birth_certificate", "marriage_record"],
        &[("child_name", "新生儿姓名")],
        5,
        true,
        true,
    ),
    (
        "move-in-spouse",
        "夫妻投靠迁入",
        "户口迁移",
        &["identity", "household", "marriage_record"],
        &[("from_address", "原户籍地址")],
        10,
        true,
        true,
    ),
    (
        "move-in-property",
        "购房迁入",
        "户口迁移",
        &["identity", "household", "property_record"],
        &[("property_address", "房产地址")],
        10,
        true,
        false,
    ),
    (
        "move-in-talent",
        "人才引进迁入",
        "户口迁移",
        &["identity", "social_insurance"],
        &[("employer", "工作单位")],
        10,
        true,
        true,
    ),
    (
        "move-in-student",
        "大中专学生迁入",
        "户口迁移",
        &["identity", "school_enrolment"],
        &[("school", "学校")],
        5,
        true,
        true,
    ),
    (
        "move-within-city",
        "市内户口迁移",
        "户口迁移",
        &["identity", "household", "property_record"],
        &[("to_address", "迁入地址")],
        5,
        true,
        false,
    ),
    ("move-out", "户口迁出", "户口迁移", &["identity", "household"], &[("to_city", "迁往城市")], 5, true, true),
    (
        "change-name",
        "变更姓名",
        "户口项目变更更正",
        &["identity", "household"],
        &[("new_name", "新姓名"), ("reason", "变更理由")],
        20,
        true,
        false,
    ),
    (
        "correct-birth-date",
        "更正出生日期",
        "户口项目变更更正",
        &["identity", "household", "birth_certificate"],
        &[("correct_date", "正确出生日期（YYYY-MM-DD）")],
        20,
        false,
        false,
    ),
    (
        "correct-id-number",
        "更正公民身份号码",
        "户口项目变更更正",
        &["identity", "household"],
        &[("correct_id_number", "正确公民身份号码"), ("reason", "更正原因")],
        20,
        false,
        false,
    ),
    (
        "change-address",
        "变更户籍地址（门牌调整）",
        "户口项目变更更正",
        &["identity", "household", "property_record"],
        &[("new_address", "新地址")],
        5,
        true,
        false,
    ),
    ("id-first-issue", "居民身份证首次申领", "居民身份证", &["identity", "household"], &[], 20, true, true),
    ("id-renewal", "居民身份证有效期满换领", "居民身份证", &["identity"], &[], 20, true, true),
    ("id-loss", "居民身份证丢失补领", "居民身份证", &["identity"], &[("lost_at", "丢失时间地点")], 20, true, true),
    ("id-temporary", "临时居民身份证申领", "居民身份证", &["identity"], &[], 1, true, true),
    (
        "death-cancellation",
        "死亡注销户口",
        "户口登记",
        &["identity", "household", "death_record"],
        &[("deceased_id", "死者公民身份号码")],
        1,
        true,
        true,
    ),
    ("household-book-reissue", "户口簿补领", "户口登记", &["identity", "household"], &[], 3, true, false),
    (
        "residence-permit",
        "居住证申领",
        "流动人口",
        &["identity", "property_record", "social_insurance"],
        &[("address", "居住地址")],
        10,
        true,
        false,
    ),
];

pub fn shipped() -> (Vec<ServiceFact>, Vec<NewServiceItem>) {
    let facts = FACTS
        .iter()
        .map(|(code, name, source)| ServiceFact {
            code: (*code).into(),
            name: (*name).into(),
            source: (*source).into(),
        })
        .collect();
    let items = ITEMS
        .iter()
        .map(|(code, name, category, facts, fields, days, citywide, crosscity)| NewServiceItem {
            code: (*code).into(),
            name: (*name).into(),
            category: (*category).into(),
            legal_basis: "《中华人民共和国户口登记条例》《浙江省户口登记管理规定》".into(),
            eligibility: "本市户籍居民本人（未成年人由监护人代为申请）".into(),
            facts: facts.iter().map(|f| (*f).into()).collect(),
            fields: fields.iter().map(|(k, l)| ((*k).into(), (*l).into())).collect(),
            time_limit_days: *days,
            citywide: *citywide,
            crosscity: *crosscity,
            active: true,
        })
        .collect();
    (facts, items)
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ItemDto {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub category: String,
    pub category_en: String,
    pub legal_basis: String,
    pub eligibility: String,
    pub facts: Vec<FactDto>,
    pub fields: Vec<FieldDto>,
    pub time_limit_days: i64,
    pub citywide: bool,
    pub crosscity: bool,
    pub active: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FactDto {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// bureau, or the code of the agency the fact is fetched from.
    pub source: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FieldDto {
    pub key: String,
    pub label: String,
    /// Filled in answers; ignored in requests.
    #[serde(default)]
    pub label_en: String,
}

pub fn item_dto(i: ServiceItem, facts: &[ServiceFact]) -> ItemDto {
    ItemDto {
        facts: i
            .facts
            .iter()
            .map(|code| {
                let f = facts.iter().find(|f| &f.code == code);
                let name = f.map_or_else(|| code.clone(), |f| f.name.clone());
                FactDto {
                    code: code.clone(),
                    name_en: english(&name).to_string(),
                    name,
                    source: f.map_or_else(String::new, |f| f.source.clone()),
                }
            })
            .collect(),
        fields: i
            .fields
            .iter()
            .map(|(k, l)| FieldDto { key: k.clone(), label: l.clone(), label_en: english(l).to_string() })
            .collect(),
        code: i.code,
        name_en: english(&i.name).to_string(),
        name: i.name,
        category_en: english(&i.category).to_string(),
        category: i.category,
        legal_basis: i.legal_basis,
        eligibility: i.eligibility,
        time_limit_days: i.time_limit_days,
        citywide: i.citywide,
        crosscity: i.crosscity,
        active: i.active,
    }
}

pub(super) async fn list(State(state): State<AppState>) -> ApiResult<axum::Json<Vec<ItemDto>>> {
    let facts = state.db.service_facts().await?;
    let items = state.db.service_items(true).await?;
    Ok(axum::Json(items.into_iter().map(|i| item_dto(i, &facts)).collect()))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ItemRequest {
    pub name: String,
    pub category: String,
    pub legal_basis: String,
    pub eligibility: String,
    /// Fact codes from the catalogue's fact list.
    pub facts: Vec<String>,
    #[serde(default)]
    pub fields: Vec<FieldDto>,
    pub time_limit_days: i64,
    pub citywide: bool,
    pub crosscity: bool,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Administrators edit an item; unknown facts and empty names are refused.
pub(super) async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Json(req): Json<ItemRequest>,
) -> ApiResult<axum::Json<ItemDto>> {
    let facts = state.db.service_facts().await?;
    let text = |field: &'static str, v: &str, max: usize| -> Result<String, ApiError> {
        let v = v.trim();
        if v.is_empty() || v.chars().count() > max {
            return Err(refuse(field, Rule::RequiredUpTo(max)));
        }
        Ok(v.to_string())
    };
    if let Some(bad) = req.facts.iter().find(|f| !facts.iter().any(|x| &x.code == *f)) {
        return Err(refuse("facts", Rule::other(format!("未知的事项要素“{bad}”"), format!("unknown fact {bad}"))));
    }
    if !(1..=180).contains(&req.time_limit_days) {
        return Err(refuse("time_limit_days", Rule::Range(1, 180)));
    }
    let item = NewServiceItem {
        code: code.clone(),
        name: text("name", &req.name, 50)?,
        category: text("category", &req.category, 30)?,
        legal_basis: text("legal_basis", &req.legal_basis, 500)?,
        eligibility: text("eligibility", &req.eligibility, 500)?,
        facts: req.facts.clone(),
        fields: req.fields.iter().map(|f| (f.key.clone(), f.label.clone())).collect(),
        time_limit_days: req.time_limit_days,
        citywide: req.citywide,
        crosscity: req.crosscity,
        active: req.active,
    };
    let mut w = state.db.write().await?;
    w.service_item_update(&ctx.actor(), &code, &item).await?;
    w.commit().await?;
    Ok(axum::Json(item_dto(state.db.service_item(&code).await?, &facts)))
}
