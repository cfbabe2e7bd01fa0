//! Listed identifiers, each under its canonical form, with where the listing came from, how
//! sure the source is and when it lapses.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::Time;
use crate::normalize::{self, NormalizeError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Phone,
    Url,
    Domain,
    BankAccount,
    PayAccount,
    App,
}

impl EntryKind {
    pub const ALL: [EntryKind; 6] =
        [Self::Phone, Self::Url, Self::Domain, Self::BankAccount, Self::PayAccount, Self::App];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Url => "url",
            Self::Domain => "domain",
            Self::BankAccount => "bank_account",
            Self::PayAccount => "pay_account",
            Self::App => "app",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Self::Phone => "电话号码",
            Self::Url => "网址",
            Self::Domain => "域名",
            Self::BankAccount => "银行账户",
            Self::PayAccount => "支付账户",
            Self::App => "应用",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Self::Phone => "Phone number",
            Self::Url => "Web address",
            Self::Domain => "Domain",
            Self::BankAccount => "Bank account",
            Self::PayAccount => "Payment account",
            Self::App => "App",
        }
    }

    pub fn normalize(self, value: &str) -> Result<String, NormalizeError> {
        match self {
            Self::Phone => normalize::phone(value),
            Self::Url => normalize::url(value),
            Self::Domain => normalize::domain(value),
            Self::BankAccount => normalize::bank_account(value),
            Self::PayAccount => normalize::pay_account(value),
            Self::App => normalize::app(value),
        }
    }
}

/// What is known about a listed identifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    pub source: String,
    /// 0–100.
    pub confidence: u8,
    /// The fraud type the source attributes, e.g. 刷单返利.
    pub typology: Option<String>,
    /// Seconds since the epoch; the listing no longer matches from this instant.
    pub expires_at: Option<Time>,
}

impl Listing {
    fn live_at(&self, at: Time) -> bool {
        self.expires_at.is_none_or(|e| at < e)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit<'a> {
    pub kind: EntryKind,
    pub value: &'a str,
    pub listing: &'a Listing,
}

#[derive(Debug, Default, Clone)]
pub struct Watchlist {
    /// One map per kind, so a lookup borrows the canonical `&str` instead of building a key.
    entries: [FxHashMap<Box<str>, Listing>; 6],
}

impl Watchlist {
    pub fn len(&self) -> usize {
        self.entries.iter().map(|m| m.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn count(&self, kind: EntryKind) -> usize {
        self.entries[kind as usize].len()
    }

    /// Lists `value` (normalised here) and returns its canonical form; a second listing of
    /// the same identifier replaces the first.
    pub fn insert(&mut self, kind: EntryKind, value: &str, listing: Listing) -> Result<String, NormalizeError> {
        let canonical = kind.normalize(value)?;
        self.entries[kind as usize].insert(canonical.clone().into_boxed_str(), listing);
        Ok(canonical)
    }

    pub fn remove(&mut self, kind: EntryKind, canonical: &str) -> bool {
        self.entries[kind as usize].remove(canonical).is_some()
    }

    /// Drops listings that have lapsed by `now`; returns how many.
    pub fn expire(&mut self, now: Time) -> usize {
        let before = self.len();
        for m in &mut self.entries {
            m.retain(|_, l| l.live_at(now));
        }
        before - self.len()
    }

    /// The live listing of an already canonical identifier.
    pub fn get(&self, kind: EntryKind, canonical: &str, at: Time) -> Option<Hit<'_>> {
        let (key, listing) = self.entries[kind as usize].get_key_value(canonical)?;
        listing.live_at(at).then_some(Hit { kind, value: key, listing })
    }

    /// A URL matches when the URL itself, its bare host as a URL, or the host or any parent
    /// domain as a domain is listed; the most specific live listing wins.
    pub fn get_url(&self, canonical_url: &str, at: Time) -> Option<Hit<'_>> {
        if let Some(hit) = self.get(EntryKind::Url, canonical_url, at) {
            return Some(hit);
        }
        // A URL listed without a path names the whole host, not its subdomains' sites.
        let host = canonical_url.split('/').next().unwrap_or(canonical_url);
        if host.len() < canonical_url.len()
            && let Some(hit) = self.get(EntryKind::Url, host, at)
        {
            return Some(hit);
        }
        normalize::url_domains(canonical_url).find_map(|d| self.get(EntryKind::Domain, d, at))
    }

    /// Checks a raw identifier as a citizen typed it.
    pub fn lookup(&self, kind: EntryKind, raw: &str, at: Time) -> Result<Option<Hit<'_>>, NormalizeError> {
        let canonical = kind.normalize(raw)?;
        Ok(match kind {
            EntryKind::Url => self.get_url(&canonical, at),
            EntryKind::Domain => normalize::url_domains(&canonical).find_map(|d| self.get(EntryKind::Domain, d, at)),
            _ => self.get(kind, &canonical, at),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(expires_at: Option<Time>) -> Listing {
        Listing { source: "test".into(), confidence: 90, typology: None, expires_at }
    }

    #[test]
    fn a_number_listed_in_one_form_matches_in_another() {
        let mut w = Watchlist::default();
        w.insert(EntryKind::Phone, "0574-87654321", listing(None)).unwrap();
        assert!(w.lookup(EntryKind::Phone, "+86 574 8765 4321", 0).unwrap().is_some());
        assert!(w.lookup(EntryKind::Phone, "057487654322", 0).unwrap().is_none());
    }

    #[test]
    fn a_listed_domain_catches_its_subdomains_and_paths() {
        let mut w = Watchlist::default();
        w.insert(EntryKind::Domain, "Scam.Example.", listing(None)).unwrap();
        let hit = w.lookup(EntryKind::Url, "https://pay.scam.example/login?x=1", 0).unwrap().unwrap();
        assert_eq!((hit.kind, hit.value), (EntryKind::Domain, "scam.example"));
        assert!(w.lookup(EntryKind::Url, "https://example/", 0).is_err());
        assert!(w.lookup(EntryKind::Url, "https://notscam.example/", 0).unwrap().is_none());
    }

    #[test]
    fn a_lapsed_listing_no_longer_matches() {
        let mut w = Watchlist::default();
        w.insert(EntryKind::App, "com.fake.loan", listing(Some(100))).unwrap();
        assert!(w.lookup(EntryKind::App, "com.fake.loan", 99).unwrap().is_some());
        assert!(w.lookup(EntryKind::App, "com.fake.loan", 100).unwrap().is_none());
        assert_eq!(w.expire(100), 1);
        assert!(w.is_empty());
    }
}
