//! The residents module's texts in Chinese and English, for `Tr::t`.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[
    ("nav.residents", "人口管理", "Residents"),
    ("res.q", "姓名、脱敏身份证号、完整身份证号或手机号", "Name, masked ID number, full ID number or mobile"),
    ("res.station", "派出所", "Station"),
    ("res.name", "姓名", "Name"),
    ("res.id_number", "公民身份号码", "ID number"),
    ("res.gender", "性别", "Sex"),
    ("res.birth", "出生日期", "Date of birth"),
    ("res.age_band", "年龄段", "Age band"),
    ("res.search_purpose", "查询事由", "Purpose"),
    ("res.search_purpose_help", "按完整身份证号或手机号查询时必填", "Required to search by a full ID number or phone"),
    ("res.phone", "手机号码", "Mobile"),
    ("res.hukou", "户籍地址", "Registered address"),
    ("res.residence", "现住址", "Current residence"),
    ("res.household", "户号", "Household no."),
    ("res.registered", "登记时间", "Registered"),
    ("res.sort", "排序", "Sort"),
    ("res.sort.id", "登记顺序", "Registration order"),
    ("res.sort.name", "姓名", "Name"),
    ("res.sort.birth_date", "出生日期", "Date of birth"),
    ("res.sort.newest", "最新登记", "Newest first"),
    (
        "res.masked_note",
        "身份证号和手机号已脱敏。查看完整信息须说明事由，并记入审计日志。",
        "ID and mobile numbers are masked. Seeing them in full needs a stated purpose, which is audited.",
    ),
    ("res.reveal", "查看完整信息", "Reveal in full"),
    ("res.purpose", "查看事由", "Purpose"),
    (
        "res.revealed",
        "已显示完整信息，本次查看及事由已记入审计日志。",
        "Shown in full; this access and its purpose are in the audit log.",
    ),
];
