//! Major-event security's UI texts, Chinese and English.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[("nav.security", "重大活动安保", "Major-event security")];
