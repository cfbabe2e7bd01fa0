//! The accounts module's texts in Chinese and English, for `Tr::t`.

use crate::web::i18n::Text;

pub const TEXTS: &[Text] = &[
    ("nav.accounts", "账号与角色", "Accounts & roles"),
    ("acc.username", "用户名", "Username"),
    ("acc.display", "姓名", "Display name"),
    ("acc.roles", "角色", "Roles"),
    ("acc.new", "新建账号", "New account"),
    ("acc.password_hint", "留空则自动生成（仅显示一次）", "Leave empty to generate one (shown once)"),
    (
        "acc.created",
        "账号已创建。初始密码仅显示这一次：",
        "Account created. Its initial password is shown only this once:",
    ),
    ("acc.disable", "停用", "Disable"),
    ("acc.enable", "启用", "Enable"),
    ("acc.active", "正常", "Active"),
    ("acc.disabled", "已停用", "Disabled"),
    ("acc.locked", "已锁定", "Locked"),
    ("grant.title", "授权审批", "Grant approvals"),
    ("grant.pending", "待另一名管理员批准", "Waiting for a second administrator"),
    ("grant.approved", "已批准", "Approved"),
    ("grant.rejected", "已驳回", "Rejected"),
    ("grant.approve", "批准", "Approve"),
    ("grant.reject", "驳回", "Reject"),
    ("grant.subject", "对象", "For"),
    ("grant.gives", "授予", "Gives"),
    ("grant.requested_by", "申请人", "Asked by"),
    ("grant.requested_at", "申请时间", "Asked at"),
    ("grant.decided_by", "审批人", "Decided by"),
    ("grant.token", "接口令牌生效", "Token starts to work"),
    ("grant.own", "须由另一名管理员审批", "Another administrator decides"),
    (
        "grant.explain",
        "涉及个人信息的角色、跨派出所读取个人信息的接口令牌，须由申请人以外的另一名管理员批准后才生效；任何人不能给自己的账号增加此类角色。",
        "Roles that show personal data, and tokens that read it beyond one station, take effect only when an administrator other than the one who asked approves; nobody adds such a role to their own account.",
    ),
    ("grant.waiting_roles", "待批准的角色", "Roles awaiting approval"),
    (
        "grant.roles_waiting",
        "新增的涉及个人信息的角色已提交，待另一名管理员批准后生效。",
        "The added roles that show personal data wait for a second administrator.",
    ),
    (
        "grant.token_waits",
        "该令牌可跨派出所读取个人信息，须另一名管理员在“授权审批”中批准后才能使用。",
        "This token reads personal data beyond one station: it works once another administrator approves it under Grant approvals.",
    ),
];
