//! Risk signals as carriers, banks, app stores and citizens report them.

use serde::{Deserialize, Serialize};

use crate::{PersonId, Time};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalTag {
    Call,
    Sms,
    Url,
    App,
    Transfer,
    VictimReport,
    BankAlert,
}

impl SignalTag {
    pub const ALL: [SignalTag; 7] =
        [Self::Call, Self::Sms, Self::Url, Self::App, Self::Transfer, Self::VictimReport, Self::BankAlert];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Sms => "sms",
            Self::Url => "url",
            Self::App => "app",
            Self::Transfer => "transfer",
            Self::VictimReport => "victim_report",
            Self::BankAlert => "bank_alert",
        }
    }

    pub fn parse(s: &str) -> Option<SignalTag> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Self::Call => "来电",
            Self::Sms => "短信",
            Self::Url => "访问网址",
            Self::App => "安装应用",
            Self::Transfer => "转账",
            Self::VictimReport => "受害人报案",
            Self::BankAlert => "银行预警",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountVia {
    #[default]
    Bank,
    Pay,
}

/// A validated signal. `person` is a pseudonymous id the application maps to a subscriber.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub id: Box<str>,
    pub person: PersonId,
    pub at: Time,
    pub kind: SignalKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SignalKind {
    Call { from: String, duration_s: u32 },
    Sms { from: String },
    Url { url: String },
    App { package: String },
    Transfer { account: String, via: AccountVia, amount_fen: i64 },
    VictimReport { amount_fen: i64 },
    BankAlert { amount_fen: i64 },
}

impl SignalKind {
    pub fn tag(&self) -> SignalTag {
        match self {
            Self::Call { .. } => SignalTag::Call,
            Self::Sms { .. } => SignalTag::Sms,
            Self::Url { .. } => SignalTag::Url,
            Self::App { .. } => SignalTag::App,
            Self::Transfer { .. } => SignalTag::Transfer,
            Self::VictimReport { .. } => SignalTag::VictimReport,
            Self::BankAlert { .. } => SignalTag::BankAlert,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignalError {
    #[error("缺少字段 {0} / missing field {0}")]
    Missing(&'static str),
    #[error("信号编号应为1至100个字符 / a signal id has 1 to 100 characters")]
    Id,
    #[error("未知的信号类型“{0}”（call/sms/url/app/transfer/victim_report/bank_alert） / unknown signal kind")]
    Kind(String),
    #[error("金额应为0至1亿元之间、最多两位小数 / amount must be between 0 and 100,000,000 yuan")]
    Amount,
    #[error("通话时长应为0至86400秒 / call duration must be 0 to 86400 seconds")]
    Duration,
}

/// The flat wire form: one object per signal, the fields its kind needs. Flat rather than an
/// internally tagged enum because serde's buffering of tagged enums halves parsing speed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SignalRecord {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<PersonId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<Time>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<AccountVia>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Yuan.
    pub amount: Option<f64>,
}

/// Yuan with at most two decimals to fen.
pub fn amount_fen(yuan: f64) -> Result<i64, SignalError> {
    if !yuan.is_finite() || !(0.0..=100_000_000.0).contains(&yuan) {
        return Err(SignalError::Amount);
    }
    Ok((yuan * 100.0).round() as i64)
}

impl SignalRecord {
    pub fn into_signal(self) -> Result<Signal, SignalError> {
        let id = self.id.ok_or(SignalError::Missing("id"))?;
        if id.is_empty() || id.len() > 100 {
            return Err(SignalError::Id);
        }
        let person = self.person.ok_or(SignalError::Missing("person"))?;
        let at = self.at.ok_or(SignalError::Missing("at"))?;
        let kind = self.kind.ok_or(SignalError::Missing("kind"))?;
        let tag = SignalTag::parse(&kind).ok_or(SignalError::Kind(kind))?;
        let body = SignalBody {
            from: self.from,
            duration: self.duration,
            url: self.url,
            package: self.package,
            account: self.account,
            via: self.via,
            amount: self.amount,
        };
        Ok(Signal { id: id.into_boxed_str(), person, at, kind: body.into_kind(tag)? })
    }
}

/// The kind-specific fields of a signal, shared by every wire form that carries them.
#[derive(Debug, Clone, Default)]
pub struct SignalBody {
    pub from: Option<String>,
    pub duration: Option<i64>,
    pub url: Option<String>,
    pub package: Option<String>,
    pub account: Option<String>,
    pub via: Option<AccountVia>,
    pub amount: Option<f64>,
}

impl SignalBody {
    pub fn into_kind(self, tag: SignalTag) -> Result<SignalKind, SignalError> {
        let amount = self.amount.map(amount_fen).transpose()?;
        Ok(match tag {
            SignalTag::Call => {
                let duration = self.duration.unwrap_or(0);
                if !(0..=86_400).contains(&duration) {
                    return Err(SignalError::Duration);
                }
                SignalKind::Call { from: self.from.ok_or(SignalError::Missing("from"))?, duration_s: duration as u32 }
            }
            SignalTag::Sms => SignalKind::Sms { from: self.from.ok_or(SignalError::Missing("from"))? },
            SignalTag::Url => SignalKind::Url { url: self.url.ok_or(SignalError::Missing("url"))? },
            SignalTag::App => SignalKind::App { package: self.package.ok_or(SignalError::Missing("package"))? },
            SignalTag::Transfer => SignalKind::Transfer {
                account: self.account.ok_or(SignalError::Missing("account"))?,
                via: self.via.unwrap_or_default(),
                amount_fen: amount.ok_or(SignalError::Missing("amount"))?,
            },
            SignalTag::VictimReport => SignalKind::VictimReport { amount_fen: amount.unwrap_or(0) },
            SignalTag::BankAlert => SignalKind::BankAlert { amount_fen: amount.unwrap_or(0) },
        })
    }
}
