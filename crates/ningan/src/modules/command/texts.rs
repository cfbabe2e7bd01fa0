//! Integrated command's UI texts, Chinese and English.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[
    ("nav.command", "指挥大屏", "Command board"),
    ("nav.command_incidents", "110警情", "110 incidents"),
    ("nav.command_units", "警力", "Units"),
    ("nav.command_duty", "勤务", "Duty"),
    ("nav.command_figures", "警情统计", "Incident figures"),
    ("command.new_call", "接警登记", "Take a call"),
];
