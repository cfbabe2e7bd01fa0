//! The cockpit module's texts in Chinese and English, for `Tr::t`.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] =
    &[("cockpit.title", "驾驶舱", "City cockpit"), ("cockpit.colour_by", "地图着色指标", "Colour the map by")];
