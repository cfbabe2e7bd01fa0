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
    ("nav.residents", "人口管理", "Residents"),
    ("nav.units", "组织机构", "Org units"),
    ("nav.accounts", "账号与角色", "Accounts & roles"),
    ("nav.audit", "审计日志", "Audit log"),
    ("nav.tokens", "接口令牌", "API tokens"),
    ("nav.venues", "场所码", "Venues"),
    ("nav.cases", "病例流调", "Cases & tracing"),
    ("nav.followups", "密接管控", "Contact follow-ups"),
    ("nav.fraud", "反诈劝阻", "Fraud dissuasion"),
    ("nav.applications", "办事申请", "Applications"),
    ("nav.deliveries", "变更联办推送", "Identity-change deliveries"),
    ("nav.fraud_board", "反诈督办", "Fraud supervision"),
    ("nav.zones", "管控区域", "Control zones"),
    ("nav.quarantine", "隔离管理", "Quarantine"),
    ("pass.title", "通行码", "Pass"),
    ("common.title", "溯源", "Common source"),
    ("pager.prev", "上一页", "Previous"),
    ("pager.next", "下一页", "Next"),
    ("pager.page", "第", "Page"),
    ("pager.total", "共", "Total"),
    ("common.search", "查询", "Search"),
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
    ("res.q", "姓名、脱敏身份证号、完整身份证号或手机号", "Name, masked ID number, full ID number or mobile"),
    ("res.station", "派出所", "Station"),
    ("res.name", "姓名", "Name"),
    ("res.id_number", "公民身份号码", "ID number"),
    ("res.gender", "性别", "Sex"),
    ("res.birth", "出生日期", "Date of birth"),
    ("res.age_band", "年龄段", "Age band"),
    ("res.search_purpose", "查询事由", "Purpose"),
    ("res.search_purpose_help", "按完整身份证号或手机号查询时必填", "Required to search by a full ID number or phone"),
    ("res.phone", "手机号码", "Mobile"),
    ("res.hukou", "户籍地址", "Registered address"),
    ("res.residence", "现住址", "Current residence"),
    ("res.household", "户号", "Household no."),
    ("res.registered", "登记时间", "Registered"),
    ("res.sort", "排序", "Sort"),
    ("res.sort.id", "登记顺序", "Registration order"),
    ("res.sort.name", "姓名", "Name"),
    ("res.sort.birth_date", "出生日期", "Date of birth"),
    ("res.sort.newest", "最新登记", "Newest first"),
    (
        "res.masked_note",
        "身份证号和手机号已脱敏。查看完整信息须说明事由，并记入审计日志。",
        "ID and mobile numbers are masked. Seeing them in full needs a stated purpose, which is audited.",
    ),
    ("res.reveal", "查看完整信息", "Reveal in full"),
    ("res.purpose", "查看事由", "Purpose"),
    (
        "res.revealed",
        "已显示完整信息，本次查看及事由已记入审计日志。",
        "Shown in full; this access and its purpose are in the audit log.",
    ),
    ("units.tree", "单位树", "Unit tree"),
    ("units.kind", "类别", "Kind"),
    ("units.code", "代码", "Code"),
    ("units.officers", "民警账号", "Officer accounts"),
    ("units.children", "下级单位", "Sub-units"),
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
    ("audit.actor", "操作者", "Actor"),
    ("audit.person", "人员编号", "Person id"),
    ("audit.action", "操作", "Action"),
    ("audit.from", "起始日期", "From"),
    ("audit.to", "截止日期", "To"),
    ("audit.at", "时间", "Time"),
    ("audit.object", "对象", "Object"),
    ("audit.purpose", "事由", "Purpose"),
    ("audit.detail", "说明", "Detail"),
    ("audit.verify", "校验哈希链", "Verify hash chain"),
    ("audit.intact", "哈希链完整", "Hash chain intact"),
    ("audit.broken", "哈希链断裂于第", "Hash chain broken at entry"),
    ("audit.entries", "条记录", "entries"),
    ("tok.name", "名称", "Name"),
    ("tok.prefix", "前缀", "Prefix"),
    ("tok.scopes", "权限范围", "Scopes"),
    ("tok.expires", "到期", "Expires"),
    ("tok.days", "有效天数", "Valid for days"),
    ("tok.revoke", "吊销", "Revoke"),
    ("tok.live", "有效", "Live"),
    ("tok.dead", "已失效", "Not live"),
    (
        "tok.created",
        "令牌已创建。请立即复制，此后无法再次查看：",
        "Token created. Copy it now; it cannot be shown again:",
    ),
    ("auth.login", "登录", "Sign in"),
    ("auth.logout", "退出", "Sign out"),
    ("auth.username", "用户名", "Username"),
    ("auth.password", "密码", "Password"),
    ("auth.current_password", "当前密码", "Current password"),
    ("auth.new_password", "新密码", "New password"),
    ("auth.change", "修改", "Change"),
    ("auth.changed", "密码已修改，请重新登录。", "Password changed; please sign in again."),
    ("home.welcome", "欢迎", "Welcome"),
    ("cockpit.title", "驾驶舱", "City cockpit"),
    ("cockpit.colour_by", "地图着色指标", "Colour the map by"),
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
