//! `/audit search` and `/audit verify`: audit entries as compact lines (who, what, target,
//! outcome, when), and the chain check in plain words.

use crate::feeds::message::FeedMessage;
use crate::store::audit::{AuditEntry, VerifyReport};

use super::paging::PageInfo;

/// A page of `/audit search`. `page` counts from 0; `has_next` comes from the store's page
/// (`next_after_seq.is_some()`); `search` describes the filters in words (escaped here);
/// `filter_token` is opaque text for the page buttons.
pub fn audit_page(
    entries: &[AuditEntry],
    page: usize,
    has_next: bool,
    search: Option<&str>,
    filter_token: &str,
) -> (FeedMessage, PageInfo) {
    let _ = (entries, page, has_next, search, filter_token);
    todo!()
}

/// `/audit verify`.
pub fn audit_verify(report: &VerifyReport) -> FeedMessage {
    let _ = report;
    todo!()
}
