//! Risk signals as partners send them: one JSON object per signal, the subscriber named by
//! phone number, the time as RFC 3339 or seconds since the epoch.

use ningan_fraud::{AccountVia, SignalBody, SignalKind, SignalTag, normalize};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Signals older than this are refused: the windows they could fall in are long gone.
pub const MAX_AGE_SECS: i64 = 30 * 86_400;
/// Clocks of partners drift; further in the future is a mistake.
pub const MAX_SKEW_SECS: i64 = 300;

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum When {
    Seconds(i64),
    Text(String),
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalLine {
    /// The sender's unique id of the signal; a signal re-sent with the same id is ignored.
    pub id: String,
    /// The subscriber the signal is about (手机号).
    pub phone: String,
    /// When it happened; now when absent.
    pub at: Option<When>,
    /// call | sms | url | app | transfer | victim_report | bank_alert
    pub kind: String,
    /// Calling or sending number (call, sms).
    pub from: Option<String>,
    /// Call duration in seconds.
    pub duration: Option<i64>,
    pub url: Option<String>,
    /// App package name (app).
    pub package: Option<String>,
    /// Receiving account (transfer).
    pub account: Option<String>,
    /// bank | pay (transfer; bank when absent).
    #[schemars(with = "Option<String>")]
    pub via: Option<AccountVia>,
    /// Yuan (transfer, victim_report, bank_alert).
    pub amount: Option<f64>,
}

/// A checked signal, ready for a subject id.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub id: String,
    pub phone: String,
    pub at: i64,
    pub kind: SignalKind,
}

/// Why a line was refused, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub en: String,
    pub zh: String,
}

fn refuse(zh: impl Into<String>, en: impl Into<String>) -> Refusal {
    Refusal { zh: zh.into(), en: en.into() }
}

impl SignalLine {
    pub fn check(self, now: i64) -> Result<Incoming, Refusal> {
        let id = self.id.trim().to_string();
        if id.is_empty() || id.len() > 100 || id.chars().any(char::is_control) {
            return Err(refuse("信号编号应为1至100个可见字符", "id must be 1 to 100 visible characters"));
        }
        let phone = normalize::phone(&self.phone).map_err(|e| refuse(format!("phone：{e}"), format!("phone: {e}")))?;
        let at = match &self.at {
            None => now,
            Some(When::Seconds(s)) => *s,
            Some(When::Text(t)) => chrono::DateTime::parse_from_rfc3339(t)
                .map(|d| d.timestamp())
                .map_err(|_| refuse("时间格式无效（应为 RFC 3339 或秒）", "at must be RFC 3339 or epoch seconds"))?,
        };
        if at > now + MAX_SKEW_SECS {
            return Err(refuse("时间晚于当前时间", "at is in the future"));
        }
        if at < now - MAX_AGE_SECS {
            return Err(refuse("信号超过30天，不再评分", "at is more than 30 days ago"));
        }
        let tag = SignalTag::parse(&self.kind).ok_or_else(|| {
            refuse(
                format!("未知信号类型“{}”", self.kind.chars().take(30).collect::<String>()),
                "kind must be call, sms, url, app, transfer, victim_report or bank_alert",
            )
        })?;
        let body = SignalBody {
            from: self.from,
            duration: self.duration,
            url: self.url,
            package: self.package,
            account: self.account,
            via: self.via,
            amount: self.amount,
        };
        let kind = body.into_kind(tag).map_err(|e| refuse(e.to_string(), e.to_string()))?;
        // An identifier that cannot be normalised can never match a listing; say so instead of
        // silently scoring it as benign.
        let ident = match &kind {
            SignalKind::Call { from, .. } | SignalKind::Sms { from } => normalize::phone(from).map(drop),
            SignalKind::Url { url } => normalize::url(url).map(drop),
            SignalKind::App { package } => normalize::app(package).map(drop),
            SignalKind::Transfer { account, via: AccountVia::Bank, .. } => normalize::bank_account(account).map(drop),
            SignalKind::Transfer { account, via: AccountVia::Pay, .. } => normalize::pay_account(account).map(drop),
            SignalKind::VictimReport { .. } | SignalKind::BankAlert { .. } => Ok(()),
        };
        ident.map_err(|e| refuse(e.to_string(), e.to_string()))?;
        Ok(Incoming { id, phone, at, kind })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(json: &str) -> Result<Incoming, Refusal> {
        serde_json::from_str::<SignalLine>(json).unwrap().check(1_790_000_000)
    }

    #[test]
    fn a_call_with_a_formatted_number_is_accepted() {
        let s = line(
            r#"{"id":"c1","phone":"138 1234 5678","at":1789999000,"kind":"call","from":"0574-66660001","duration":90}"#,
        )
        .unwrap();
        assert_eq!(s.phone, "+8613812345678");
        assert_eq!(s.kind, SignalKind::Call { from: "0574-66660001".into(), duration_s: 90 });
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        let future = line(r#"{"id":"x","phone":"13812345678","at":1790009000,"kind":"sms","from":"95588"}"#);
        assert!(future.unwrap_err().en.contains("future"));
        let missing = line(r#"{"id":"x","phone":"13812345678","kind":"transfer","account":"6222000011112222"}"#);
        assert!(missing.unwrap_err().en.contains("amount"));
        let bad_url = line(r#"{"id":"x","phone":"13812345678","kind":"url","url":"localhost"}"#);
        assert!(bad_url.is_err());
        let kind = line(r#"{"id":"x","phone":"13812345678","kind":"fax"}"#);
        assert!(kind.unwrap_err().zh.contains("fax"));
    }
}
