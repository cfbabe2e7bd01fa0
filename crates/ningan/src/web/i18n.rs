//! UI text in Chinese (default) and English. Every key has both; a missing key shows itself,
//! which the unit test below prevents.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr {
    en: bool,
}

const TEXT: &[(&str, &str, &str)] = &[
    ("app.name", "宁安 · 公安数字化平台", "Ningan · Public Security Platform"),
    ("nav.home", "首页", "Home"),
    ("nav.password", "修改密码", "Change password"),
    ("auth.login", "登录", "Sign in"),
    ("auth.logout", "退出", "Sign out"),
    ("auth.username", "用户名", "Username"),
    ("auth.password", "密码", "Password"),
    ("auth.current_password", "当前密码", "Current password"),
    ("auth.new_password", "新密码", "New password"),
    ("auth.change", "修改", "Change"),
    (
        "auth.changed",
        "密码已修改，请重新登录。",
        "Password changed; please sign in again.",
    ),
    ("home.welcome", "欢迎", "Welcome"),
    ("home.unit", "所属单位", "Unit"),
    ("home.roles", "角色", "Roles"),
    ("lang.switch", "English", "中文"),
    (
        "error.forbidden",
        "您的角色无权访问此页面。",
        "Your roles do not allow this page.",
    ),
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
        TEXT.iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, zh, en)| if self.en { *en } else { *zh })
            .unwrap_or("⟨missing text⟩")
    }

    /// Picks between two strings given inline, for labels that come with their data.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.en { en } else { zh }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_menu_keys_exist() {
        let mut keys: Vec<_> = TEXT.iter().map(|t| t.0).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n);
        for m in super::super::MENU {
            assert!(TEXT.iter().any(|t| t.0 == m.key), "{}", m.key);
        }
    }
}
