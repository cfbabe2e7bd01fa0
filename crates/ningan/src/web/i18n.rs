//! UI text in Chinese (default) and English. Every key has both; a missing key shows itself,
//! which the unit test below prevents.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr {
    en: bool,
}

/// A translation: key, Chinese, English.
pub type Text = (&'static str, &'static str, &'static str);

/// Every text: the shared ones, then each module's.
fn all_texts() -> impl Iterator<Item = &'static Text> {
    TEXT.iter().chain(crate::modules::ALL.iter().flat_map(|m| m.texts.iter()))
}

/// Texts every page shares (the frame, pagers, errors); each module brings its own in its
/// descriptor (`Module::texts`).
const TEXT: &[Text] = &[
    ("app.name", "宁安 · 公安数字化平台", "Ningan · Public Security Platform"),
    ("nav.home", "首页", "Home"),
    ("common.title", "溯源", "Common source"),
    ("pager.prev", "上一页", "Previous"),
    ("pager.next", "下一页", "Next"),
    ("pager.page", "第", "Page"),
    ("pager.total", "共", "Total"),
    ("common.search", "查询", "Search"),
    ("map.undo", "撤销上一点", "Undo last point"),
    ("map.clear", "清除重画", "Clear"),
    (
        "map.draw_hint",
        "放大到街道后依次点击边界各点，至少三个点",
        "Zoom in to the streets, then click each corner of the boundary (three or more)",
    ),
    ("map.area", "面积约", "Area about"),
    (
        "map.draw_line_hint",
        "沿道路依次点击封闭路段的起点、途经点和终点",
        "Click along the road: where the closure starts, any points on the way, where it ends",
    ),
    ("map.to_move", "待转移户", "Households to move"),
    ("map.home", "回到本辖区", "Back to my area"),
    ("common.all", "全部", "All"),
    ("common.none", "无记录", "Nothing found"),
    ("common.save", "保存", "Save"),
    ("common.create", "新建", "Create"),
    ("common.actions", "操作", "Actions"),
    ("common.status", "状态", "Status"),
    ("common.unit", "单位", "Unit"),
    ("common.name", "名称", "Name"),
    ("common.created", "创建时间", "Created"),
    ("common.back", "返回", "Back"),
    ("home.welcome", "欢迎", "Welcome"),
    ("home.unit", "所属单位", "Unit"),
    ("home.roles", "角色", "Roles"),
    ("lang.switch", "English", "中文"),
    ("error.forbidden", "您的角色无权访问此页面。", "Your roles do not allow this page."),
    ("error.back", "返回首页", "Back to home"),
];

impl Tr {
    pub fn new(lang: &str) -> Tr {
        Tr { en: lang == "en" }
    }

    pub fn is_en(&self) -> bool {
        self.en
    }

    pub fn lang(&self) -> &'static str {
        if self.en { "en" } else { "zh" }
    }

    pub fn other_lang(&self) -> &'static str {
        if self.en { "zh" } else { "en" }
    }

    pub fn t(&self, key: &str) -> &'static str {
        all_texts()
            .find(|(k, _, _)| *k == key)
            .map(|(_, zh, en)| if self.en { *en } else { *zh })
            .unwrap_or("⟨missing text⟩")
    }

    /// Picks between two strings given inline, for labels that come with their data.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.en { en } else { zh }
    }

    /// [`Tr::pick`] for lists of lines (a script kept in both languages).
    pub fn pick_vec<'a>(&self, zh: &'a [String], en: &'a [String]) -> &'a [String] {
        if self.en { en } else { zh }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_menu_keys_exist() {
        let mut keys: Vec<_> = all_texts().map(|t| t.0).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n);
        let mut labels = std::collections::HashMap::new();
        for m in crate::modules::ALL.iter().flat_map(|m| m.menu) {
            assert!(all_texts().any(|t| t.0 == m.key), "{}", m.key);
            // Two entries under one label would read as one page listed twice.
            if let Some(other) = labels.insert(m.key, m.href) {
                panic!("menu key {} names both {other} and {}", m.key, m.href);
            }
        }
    }
}
