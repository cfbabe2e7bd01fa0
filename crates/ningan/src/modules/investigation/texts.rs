//! Investigation's UI texts, Chinese and English.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[("nav.investigation", "侦查打击", "Investigation")];
