//! The auth module's texts in Chinese and English, for `Tr::t`.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[
    ("nav.password", "修改密码", "Change password"),
    ("auth.login", "登录", "Sign in"),
    ("auth.logout", "退出", "Sign out"),
    ("auth.username", "用户名", "Username"),
    ("auth.password", "密码", "Password"),
    ("auth.current_password", "当前密码", "Current password"),
    ("auth.new_password", "新密码", "New password"),
    ("auth.change", "修改", "Change"),
    ("auth.changed", "密码已修改，请重新登录。", "Password changed; please sign in again."),
];
