//! Life first's UI texts, Chinese and English.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[
    ("nav.life", "生命至上", "Life first"),
    ("nav.life_points", "隐患点", "Risk points"),
    ("nav.life_helmets", "头盔佩戴", "Helmet wearing"),
    ("nav.life_deaths", "非正常亡人", "Abnormal deaths"),
    ("life.new_point", "登记隐患点", "Record a risk point"),
    ("life.import", "导入隐患点、头盔抽样", "Import risk points or helmet samples"),
];
