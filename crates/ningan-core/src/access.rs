//! Roles and the actions they grant: the "what may you do" half of authorisation. The other
//! half, "on whose records", is the org-unit scope that storage enforces.

use std::fmt;
use std::str::FromStr;

macro_rules! string_enum {
    ($(#[$m:meta])* pub enum $name:ident { $($variant:ident => $s:literal, $zh:literal;)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),* }
            }

            /// The Chinese label shown in the workbench.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),* }
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, UnknownName> {
                match s { $($s => Ok($name::$variant),)* _ => Err(UnknownName(s.to_string())) }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown name “{0}”")]
pub struct UnknownName(pub String);

string_enum! {
    /// A role an officer account holds; an account may hold several.
    pub enum Role {
        Administrator => "administrator", "系统管理员";
        Auditor => "auditor", "审计员";
        Commander => "commander", "指挥员";
        Epidemiologist => "epidemiologist", "流调员";
        StationOfficer => "station_officer", "派出所民警";
        ServiceClerk => "service_clerk", "窗口受理员";
        FraudAnalyst => "fraud_analyst", "反诈分析员";
        Investigator => "investigator", "侦查员";
        Department => "department", "责任部门联络员";
    }
}

string_enum! {
    /// Something a principal may do. Routes declare the action they need; tokens carry
    /// actions as their scopes.
    pub enum Action {
        OrgUnitRead => "org_unit.read", "查看组织机构";
        OrgUnitManage => "org_unit.manage", "管理组织机构";
        UserRead => "user.read", "查看账号";
        UserManage => "user.manage", "管理账号";
        TokenManage => "token.manage", "管理接口令牌";
        ResidentRead => "resident.read", "查询人口";
        ResidentWrite => "resident.write", "登记人口";
        ResidentReveal => "resident.reveal", "查看完整身份信息";
        AuditRead => "audit.read", "查阅审计日志";
        CockpitView => "cockpit.view", "查看驾驶舱";
        VenueRead => "venue.read", "查看场所";
        VenueManage => "venue.manage", "登记场所";
        CheckinWrite => "checkin.write", "上报场所码扫码";
        CellStayWrite => "cellstay.write", "上报手机信令驻留（运营商）";
        CaseRead => "case.read", "查看病例与流调";
        CaseManage => "case.manage", "登记病例、开展流调";
        FollowupWrite => "followup.write", "处置密接、次密接";
        ZoneManage => "zone.manage", "划定、调整、解除管控区域";
        GateManage => "gate.manage", "登记小区门岗";
        GateCheck => "gate.check", "门岗核验通行码";
        PassIssue => "pass.issue", "签发通行码";
        QuarantineManage => "quarantine.manage", "隔离点与隔离人员管理";
        FraudRead => "fraud.read", "查看反诈预警与劝阻任务";
        FraudWork => "fraud.work", "处置劝阻任务";
        FraudManage => "fraud.manage", "管理涉诈名单、督办与发案登记";
        SignalWrite => "fraud.signal", "上报涉诈风险信号";
        ApplicationWork => "application.work", "受理、审批群众办事申请";
        ServiceManage => "service.manage", "维护办事事项目录";
        EnterpriseRead => "enterprise.read", "查看企业及涉企诉求";
        EnterpriseWork => "enterprise.work", "联系走访企业、办理涉企诉求";
        EnterpriseManage => "enterprise.manage", "登记企业、指定联络民警、发布涉企通知";
        LifeRead => "life.read", "查看隐患点、头盔佩戴与非正常亡人数据";
        LifeWork => "life.work", "排查隐患点、现场验收、巡查、录入头盔抽样与事故";
        LifeManage => "life.manage", "交办与销号隐患点、管理责任部门账号";
        LifeRectify => "life.rectify", "责任部门报送隐患整改";
        CommandRead => "command.read", "查看110警情";
        CommandWork => "command.work", "接警、派警与处置110警情";
        UnitPosition => "command.position", "上报警力位置";
        OpinionRead => "opinion.read", "查看舆情与交办的舆情预警";
        OpinionWork => "opinion.work", "回复交办的舆情预警";
        OpinionManage => "opinion.manage", "研判舆情、交办与办结预警、维护话题规则";
        OpinionIngest => "opinion.ingest", "推送、导入舆情信息";
        EmergencyRead => "emergency.read", "查看抗台防汛事件、转移任务与安置点";
        EmergencyWork => "emergency.work", "上门转移群众、安置点登记、登记困难群众需求";
        EmergencyCommand => "emergency.command", "启动事件、发布预警、封闭道路、管理安置点";
        SecurityRead => "security.read", "查看重大活动安保方案、本人岗位签到";
        SecurityManage => "security.manage", "制定安保方案、设置岗位、安排民警";
        InvestigationRead => "investigation.read", "查看本人所在专案组的案件与打击战果";
        InvestigationWork => "investigation.work", "立案，在本人所在专案组内记录日志、提交证据、导入话单与资金流水、关系研判";
        InvestigationSupervise => "investigation.supervise", "督导本单位及下级单位的全部案件";
        EvaluationRead => "evaluation.read", "查看群众安全感与满意度测评、民主评议和应用场景";
        EvaluationWork => "evaluation.work", "录入电话访问答卷、回复对本单位的评议意见";
        EvaluationManage => "evaluation.manage", "设计问卷、组织测评与民主评议、维护应用场景目录、生成月报";
    }
}

impl Role {
    /// What each role grants. Least privilege: administrators manage accounts but read no
    /// personal data; auditors read the trail but change nothing.
    pub fn grants(self) -> &'static [Action] {
        use Action::*;
        match self {
            Role::Administrator => &[OrgUnitRead, OrgUnitManage, UserRead, UserManage, TokenManage, ServiceManage],
            Role::Auditor => &[AuditRead, OrgUnitRead, UserRead],
            Role::Commander => &[
                OrgUnitRead,
                ResidentRead,
                CockpitView,
                VenueRead,
                CaseRead,
                ZoneManage,
                FraudRead,
                EnterpriseRead,
                EnterpriseWork,
                EnterpriseManage,
                LifeRead,
                LifeWork,
                LifeManage,
                CommandRead,
                CommandWork,
                OpinionRead,
                OpinionWork,
                OpinionManage,
                OpinionIngest,
                EmergencyRead,
                EmergencyWork,
                EmergencyCommand,
                SecurityRead,
                SecurityManage,
                InvestigationRead,
                InvestigationSupervise,
                EvaluationRead,
                EvaluationWork,
                EvaluationManage,
            ],
            Role::Epidemiologist => &[
                OrgUnitRead,
                ResidentRead,
                ResidentReveal,
                CockpitView,
                VenueRead,
                CaseRead,
                CaseManage,
                ZoneManage,
                QuarantineManage,
            ],
            Role::StationOfficer => &[
                OrgUnitRead,
                ResidentRead,
                ResidentWrite,
                ResidentReveal,
                CockpitView,
                VenueRead,
                VenueManage,
                CheckinWrite,
                CaseRead,
                FollowupWrite,
                GateManage,
                GateCheck,
                PassIssue,
                QuarantineManage,
                FraudRead,
                FraudWork,
                EnterpriseRead,
                EnterpriseWork,
                LifeRead,
                LifeWork,
                CommandRead,
                CommandWork,
                OpinionRead,
                OpinionWork,
                EmergencyRead,
                EmergencyWork,
                SecurityRead,
                EvaluationRead,
                EvaluationWork,
            ],
            Role::ServiceClerk => {
                &[OrgUnitRead, ResidentRead, ResidentWrite, ResidentReveal, CockpitView, PassIssue, ApplicationWork]
            }
            Role::FraudAnalyst => &[
                OrgUnitRead,
                ResidentRead,
                ResidentReveal,
                CockpitView,
                FraudRead,
                FraudWork,
                FraudManage,
                SignalWrite,
            ],
            Role::Investigator => {
                &[OrgUnitRead, ResidentRead, ResidentReveal, CockpitView, InvestigationRead, InvestigationWork]
            }
            // A department (transport, water, housing…) sees the risk points assigned to it
            // and reports their rectification; nothing of named people.
            Role::Department => &[LifeRead, LifeRectify],
        }
    }
}

impl Action {
    /// Actions an API token for a device or partner agency may be scoped to. Managing
    /// accounts, tokens and the audit trail stays with people.
    pub fn token_scopable(self) -> bool {
        // Check-ins come from devices (the venue-code app's back end, gates); cell stays and
        // risk signals from carriers, banks and app stores.
        matches!(
            self,
            Action::OrgUnitRead
                | Action::ResidentRead
                | Action::CockpitView
                | Action::VenueRead
                | Action::CheckinWrite
                | Action::CellStayWrite
                | Action::GateCheck
                | Action::SignalWrite
                | Action::UnitPosition
                | Action::OpinionIngest
        )
    }
}

impl Action {
    /// Whether the action shows or changes records of named people. Granting it to an
    /// account, or to a token wider than one station, takes a second administrator.
    pub fn personal_data(self) -> bool {
        use Action::*;
        matches!(
            self,
            ResidentRead
                | ResidentWrite
                | ResidentReveal
                | AuditRead
                | CaseRead
                | CaseManage
                | FollowupWrite
                | QuarantineManage
                | FraudRead
                | FraudWork
                | FraudManage
                | ApplicationWork
                | CommandRead
                | CommandWork
                | EmergencyRead
                | EmergencyWork
                | InvestigationRead
                | InvestigationWork
                | InvestigationSupervise
        )
    }
}

impl Role {
    /// Whether holding the role lets one see or change records of named people.
    pub fn grants_personal_data(self) -> bool {
        self.grants().iter().any(|a| a.personal_data())
    }
}

/// Whether any of `roles` grants `action`.
pub fn roles_grant(roles: &[Role], action: Action) -> bool {
    roles.iter().any(|r| r.grants().contains(&action))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(*r));
        }
        for a in Action::ALL {
            assert_eq!(a.as_str().parse::<Action>(), Ok(*a));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn administrators_cannot_read_personal_data() {
        assert!(!roles_grant(&[Role::Administrator], Action::ResidentRead));
        assert!(!roles_grant(&[Role::Auditor], Action::ResidentReveal));
        assert!(roles_grant(&[Role::Auditor, Role::StationOfficer], Action::ResidentReveal));
    }

    #[test]
    fn every_role_but_the_administrator_and_departments_grants_personal_data() {
        for r in Role::ALL {
            assert_eq!(r.grants_personal_data(), !matches!(r, Role::Administrator | Role::Department), "{r}");
        }
        assert!(!Action::UserManage.personal_data() && !Action::CockpitView.personal_data());
    }
}
