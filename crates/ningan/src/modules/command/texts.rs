//! Integrated command's UI texts, Chinese and English.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[
    ("nav.command", "指挥大屏", "Command board"),
    ("nav.incidents", "110警情", "110 incidents"),
    ("nav.units", "警力", "Units"),
    ("nav.duty", "勤务", "Duty"),
    ("nav.figures", "警情统计", "Incident figures"),
    ("command.new_call", "接警登记", "Take a call"),
];
