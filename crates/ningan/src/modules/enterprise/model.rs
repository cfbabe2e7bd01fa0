//! The vocabulary of enterprise services as data: industries (GB/T 4754 sections), sizes,
//! request categories with their deadlines, the closed loop's stages, the three tiers and the
//! liaison rhythm. Pure: the rules here are what the tests check against brute force.

pub const HOUR: i64 = 3_600_000;
pub const DAY: i64 = 24 * HOUR;

/// A code with its Chinese and English names.
pub type Named = (&'static str, &'static str, &'static str);

/// GB/T 4754-2017 sections.
pub const INDUSTRIES: &[Named] = &[
    ("A", "农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    ("B", "采矿业", "Mining"),
    ("C", "制造业", "Manufacturing"),
    ("D", "电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water"),
    ("E", "建筑业", "Construction"),
    ("F", "批发和零售业", "Wholesale and retail trade"),
    ("G", "交通运输、仓储和邮政业", "Transport, storage and post"),
    ("H", "住宿和餐饮业", "Accommodation and catering"),
    ("I", "信息传输、软件和信息技术服务业", "Information technology and software"),
    ("J", "金融业", "Finance"),
    ("K", "房地产业", "Real estate"),
    ("L", "租赁和商务服务业", "Leasing and business services"),
    ("M", "科学研究和技术服务业", "Scientific research and technical services"),
    ("N", "水利、环境和公共设施管理业", "Water, environment and public facilities"),
    ("O", "居民服务、修理和其他服务业", "Household services and repairs"),
    ("P", "教育", "Education"),
    ("Q", "卫生和社会工作", "Health and social work"),
    ("R", "文化、体育和娱乐业", "Culture, sports and entertainment"),
    ("S", "公共管理、社会保障和社会组织", "Public administration and social organisations"),
    ("T", "国际组织", "International organisations"),
];

pub const SIZES: &[Named] =
    &[("large", "大型", "Large"), ("medium", "中型", "Medium"), ("small", "小型", "Small"), ("micro", "微型", "Micro")];

/// A request category: code, names, and the hours its handling tier has to reply.
pub struct Category {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub reply_hours: i64,
}

pub const CATEGORIES: &[Category] = &[
    Category { code: "security_risk", zh: "安全隐患", en: "Security risk", reply_hours: 72 },
    Category { code: "dispute", zh: "矛盾纠纷", en: "Dispute", reply_hours: 168 },
    Category { code: "fraud", zh: "涉企诈骗", en: "Fraud against the enterprise", reply_hours: 72 },
    Category { code: "licence", zh: "证照审批", en: "Licences and permits", reply_hours: 240 },
    Category {
        code: "workforce",
        zh: "外籍及用工登记",
        en: "Foreign staff and workforce registration",
        reply_hours: 120,
    },
    Category { code: "other", zh: "其他", en: "Other", reply_hours: 168 },
];

pub fn category(code: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.code == code)
}

pub fn named<'a>(table: &'a [Named], code: &str) -> Option<&'a Named> {
    table.iter().find(|n| n.0 == code)
}

/// Hours a tier's desk has to accept a request that reached it.
pub const ACCEPT_HOURS: i64 = 24;
/// Hours to close after replying (the enterprise may still ask again before).
pub const CLOSE_HOURS: i64 = 48;

/// The closed loop: 受理 → 转办 → 反馈 → 办结 → 评估; 督办 is a mark a higher tier puts on an
/// overdue request, not a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Submitted,
    Accepted,
    Assigned,
    Replied,
    Closed,
    Evaluated,
}

impl Stage {
    pub const ALL: [Stage; 6] =
        [Stage::Submitted, Stage::Accepted, Stage::Assigned, Stage::Replied, Stage::Closed, Stage::Evaluated];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Submitted => "submitted",
            Stage::Accepted => "accepted",
            Stage::Assigned => "assigned",
            Stage::Replied => "replied",
            Stage::Closed => "closed",
            Stage::Evaluated => "evaluated",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self, en: bool) -> &'static str {
        let (zh, e) = match self {
            Stage::Submitted => ("待受理", "Awaiting acceptance"),
            Stage::Accepted => ("已受理", "Accepted"),
            Stage::Assigned => ("已转办", "Assigned"),
            Stage::Replied => ("已反馈", "Replied"),
            Stage::Closed => ("已办结", "Closed"),
            Stage::Evaluated => ("已评价", "Rated"),
        };
        if en { e } else { zh }
    }

    /// Whether the request still waits on the bureau (and so has a running deadline).
    pub fn open(self) -> bool {
        self < Stage::Closed
    }

    /// The deadline a request gets on entering this stage at `now`.
    pub fn deadline(self, category: &Category, now: i64) -> i64 {
        match self {
            Stage::Submitted => now + ACCEPT_HOURS * HOUR,
            Stage::Accepted | Stage::Assigned => now + category.reply_hours * HOUR,
            Stage::Replied => now + CLOSE_HOURS * HOUR,
            // Closed requests wait only for the enterprise's rating.
            Stage::Closed | Stage::Evaluated => now + 30 * DAY,
        }
    }
}

/// The three tiers of the police–enterprise service system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    Station,
    District,
    City,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Station => "station",
            Tier::District => "district",
            Tier::City => "city",
        }
    }

    pub fn parse(s: &str) -> Option<Tier> {
        [Tier::Station, Tier::District, Tier::City].into_iter().find(|t| t.as_str() == s)
    }

    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (Tier::Station, false) => "派出所",
            (Tier::District, false) => "分局",
            (Tier::City, false) => "市局",
            (Tier::Station, true) => "Station",
            (Tier::District, true) => "District branch",
            (Tier::City, true) => "City bureau",
        }
    }

    pub fn up(self) -> Option<Tier> {
        match self {
            Tier::Station => Some(Tier::District),
            Tier::District => Some(Tier::City),
            Tier::City => None,
        }
    }

    pub fn down(self) -> Option<Tier> {
        match self {
            Tier::Station => None,
            Tier::District => Some(Tier::Station),
            Tier::City => Some(Tier::District),
        }
    }

    /// The tier's unit on an org path: `/city/` `/city/district/` `/city/district/station/`.
    pub fn path_of(self, home: &str) -> Option<String> {
        let depth = match self {
            Tier::City => 1,
            Tier::District => 2,
            Tier::Station => 3,
        };
        let end = home.match_indices('/').nth(depth)?.0;
        Some(home[..=end].to_string())
    }
}

/// How often a liaison officer must be in touch: a contact (call, message) and a visit.
pub struct Rhythm {
    pub contact_days: i64,
    pub visit_days: i64,
}

pub const KEY_RHYTHM: Rhythm = Rhythm { contact_days: 7, visit_days: 30 };
pub const USUAL_RHYTHM: Rhythm = Rhythm { contact_days: 30, visit_days: 90 };

pub fn rhythm(key_enterprise: bool) -> &'static Rhythm {
    if key_enterprise { &KEY_RHYTHM } else { &USUAL_RHYTHM }
}

/// How late a liaison rhythm must be before it is shown to a tier above the station: the
/// station head sees every late one, the district branch those a week late, the city bureau
/// those a fortnight late.
pub fn late_grace(tier: Tier) -> i64 {
    match tier {
        Tier::Station => 0,
        Tier::District => 7 * DAY,
        Tier::City => 14 * DAY,
    }
}

/// A newly registered enterprise hears from its liaison officer within this many days.
pub const FIRST_CONTACT_DAYS: i64 = 3;

/// When the next contact or visit falls due: a contact its interval after the last contact
/// or visit (a visit counts as a contact), the first one within [`FIRST_CONTACT_DAYS`] of
/// registration; a visit its interval after the last visit (or registration); the earlier.
pub fn next_due(key_enterprise: bool, registered: i64, last_contact: Option<i64>, last_visit: Option<i64>) -> i64 {
    let r = rhythm(key_enterprise);
    let contact_due = match last_contact.max(last_visit) {
        Some(t) => t + r.contact_days * DAY,
        None => registered + FIRST_CONTACT_DAYS.min(r.contact_days) * DAY,
    };
    contact_due.min(last_visit.unwrap_or(registered) + r.visit_days * DAY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tiers_find_their_unit_on_the_path_and_climb_in_order() {
        let home = "/330200/330203/17/";
        assert_eq!(Tier::Station.path_of(home).as_deref(), Some("/330200/330203/17/"));
        assert_eq!(Tier::District.path_of(home).as_deref(), Some("/330200/330203/"));
        assert_eq!(Tier::City.path_of(home).as_deref(), Some("/330200/"));
        assert_eq!(Tier::Station.up(), Some(Tier::District));
        assert_eq!(Tier::City.up(), None);
        assert_eq!(Tier::City.down(), Some(Tier::District));
    }

    #[test]
    fn every_category_and_stage_has_names_in_both_languages() {
        for c in CATEGORIES {
            assert!(!c.zh.is_empty() && c.en.is_ascii() && c.reply_hours > 0);
        }
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
            assert!(s.label(true).is_ascii() && !s.label(false).is_ascii());
        }
    }

    proptest! {
        /// Against brute force: stepping day by day from the last touch, the first day the
        /// officer is late for either a contact or a visit is the due date.
        #[test]
        fn next_due_is_the_first_day_either_interval_runs_out(
            key in any::<bool>(), reg in 0i64..1000, c in proptest::option::of(0i64..400), v in proptest::option::of(0i64..400)
        ) {
            let (reg_ms, c_ms, v_ms) = (reg * DAY, c.map(|d| (reg + d) * DAY), v.map(|d| (reg + d) * DAY));
            let r = rhythm(key);
            let (last_any, contact_gap) = match c_ms.max(v_ms) {
                Some(t) => (t, r.contact_days),
                None => (reg_ms, FIRST_CONTACT_DAYS.min(r.contact_days)),
            };
            let last_visit = v_ms.unwrap_or(reg_ms);
            let mut day = 0;
            let due = loop {
                let t = reg_ms + day * DAY;
                if t - last_any >= contact_gap * DAY && t >= last_any || t - last_visit >= r.visit_days * DAY && t >= last_visit {
                    break t;
                }
                day += 1;
            };
            prop_assert_eq!(next_due(key, reg_ms, c_ms, v_ms), due);
        }
    }
}
