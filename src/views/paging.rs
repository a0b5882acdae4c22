//! Paging for long replies: page arithmetic, the page token carried in a page button's custom
//! id (`erlc:page:<server>:<view>-<page>-<filter>`), and the Previous / Refresh / Next row.
//! A click carries everything needed to redraw the page, so page buttons survive restarts.

use std::fmt;

use crate::ui::custom_id::{ButtonAction, CustomId, CustomIdError};
use crate::ui::message::{Button, ButtonStyle};

/// The server part written into page buttons of views that cover the whole guild (audit),
/// where no server label applies. Handlers of those views ignore the server part.
pub const GUILD_WIDE: &str = "_";

/// Which paged reply a page button belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PagedView {
    /// `/players`; the filter is a team name, empty for every team.
    Players,
    /// `/vehicles`; no filter.
    Vehicles,
    /// `/bans`; no filter.
    Bans,
    /// `/logs`; the filter is a [`LogFilter`](super::LogFilter) token.
    Logs,
    /// `/audit search`; the filter is an [`AuditFilter`](super::audit::AuditFilter) token.
    Audit,
}

impl PagedView {
    /// Every paged view.
    pub const ALL: [PagedView; 5] = [
        Self::Players,
        Self::Vehicles,
        Self::Bans,
        Self::Logs,
        Self::Audit,
    ];

    /// The word used in the page token.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Players => "players",
            Self::Vehicles => "vehicles",
            Self::Bans => "bans",
            Self::Logs => "logs",
            Self::Audit => "audit",
        }
    }

    fn from_word(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == word)
    }
}

/// Why a page token could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageTargetError {
    /// The custom id is of another kind of button.
    #[error("this button is not a page button")]
    NotAPageButton,
    /// The token (given) does not have three `-`-separated parts.
    #[error("the page token `{0}` is not `<view>-<page>-<filter>`")]
    Shape(String),
    /// The view word (given) names no paged view, e.g. a button of a newer or older version.
    #[error("`{0}` is not a paged view of this bot version")]
    UnknownView(String),
    /// The page part (given) is not a whole number.
    #[error("the page number `{0}` is not a number")]
    BadPage(String),
    /// The filter has a broken `%` escape or is not UTF-8 once decoded.
    #[error("the filter in the page token is not valid percent-encoded text")]
    BadFilter,
}

/// What a page button asks for: a view, a page (counted from 0) and the view's filter, an
/// opaque text the caller chose (a team name, a time range and player, an audit search).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageTarget {
    /// The reply to redraw.
    pub view: PagedView,
    /// The page asked for, from 0.
    pub page: usize,
    /// The view's filter, as its command wrote it; empty for none.
    pub filter: String,
}

impl PageTarget {
    /// A target for `page` of `view` with `filter`.
    pub fn new(view: PagedView, page: usize, filter: &str) -> Self {
        Self {
            view,
            page,
            filter: filter.to_owned(),
        }
    }

    /// The token: `<view>-<page>-<filter>` with `%`, `:`, whitespace and control characters of
    /// the filter percent-encoded (a custom id target may contain none of them).
    pub fn encode(&self) -> String {
        format!(
            "{}-{}-{}",
            self.view.as_str(),
            self.page,
            encode_filter(&self.filter)
        )
    }

    /// Read a token written by [`PageTarget::encode`].
    pub fn decode(token: &str) -> Result<Self, PageTargetError> {
        let mut parts = token.splitn(3, '-');
        let (Some(view), Some(page), Some(filter)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(PageTargetError::Shape(token.to_owned()));
        };
        let view =
            PagedView::from_word(view).ok_or_else(|| PageTargetError::UnknownView(view.into()))?;
        let page = page
            .parse()
            .map_err(|_| PageTargetError::BadPage(page.into()))?;
        let filter = decode_filter(filter).ok_or(PageTargetError::BadFilter)?;
        Ok(Self { view, page, filter })
    }

    /// The custom id of a button that opens this page of `server`'s view. Fails when the id
    /// would be longer than Discord allows (a very long filter).
    pub fn custom_id(&self, server: &str) -> Result<CustomId, CustomIdError> {
        CustomId::new(ButtonAction::Page, server, &self.encode())
    }

    /// The page a clicked page button asks for.
    pub fn from_custom_id(id: &CustomId) -> Result<Self, PageTargetError> {
        if id.action() != ButtonAction::Page {
            return Err(PageTargetError::NotAPageButton);
        }
        Self::decode(id.target())
    }
}

impl fmt::Display for PageTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

fn needs_escape(c: char) -> bool {
    c == '%' || c == ':' || c.is_whitespace() || c.is_control()
}

fn encode_filter(filter: &str) -> String {
    let mut out = String::with_capacity(filter.len());
    let mut buffer = [0u8; 4];
    for c in filter.chars() {
        if needs_escape(c) {
            for byte in c.encode_utf8(&mut buffer).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn decode_filter(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        if first == b'%' {
            let hex = tail.get(..2)?;
            let hex = std::str::from_utf8(hex).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = tail.get(2..)?;
        } else {
            bytes.push(first);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

/// Where a page sits among its neighbours. Pages count from 0; `pages` and `total` are known
/// for lists held whole (players, vehicles, bans) and unknown for store queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageInfo {
    /// The page shown (clamped to the last page when the list shrank).
    pub page: usize,
    /// How many pages there are; `None` for store queries.
    pub pages: Option<usize>,
    /// Items after filtering.
    pub total: Option<usize>,
    /// There is a page before this one.
    pub has_prev: bool,
    /// There is a page after this one.
    pub has_next: bool,
}

impl PageInfo {
    /// For a list of `total` items shown `per_page` at a time (at least 1): the requested page,
    /// clamped to the last one.
    pub fn of_list(requested: usize, total: usize, per_page: usize) -> Self {
        let per_page = per_page.max(1);
        let pages = total.div_ceil(per_page).max(1);
        let page = requested.min(pages - 1);
        Self {
            page,
            pages: Some(pages),
            total: Some(total),
            has_prev: page > 0,
            has_next: page + 1 < pages,
        }
    }

    /// For a page of a query whose total is unknown.
    pub fn of_query(page: usize, more_follows: bool) -> Self {
        Self {
            page,
            pages: None,
            total: None,
            has_prev: page > 0,
            has_next: more_follows,
        }
    }

    /// The item range of this page in a list held whole.
    pub fn range(&self, per_page: usize) -> std::ops::Range<usize> {
        let per_page = per_page.max(1);
        let start = self.page.saturating_mul(per_page);
        let end = self
            .total
            .map_or(start, |total| total.min(start.saturating_add(per_page)));
        start..end.max(start)
    }

    /// "Page 2 of 5" or "Page 2".
    pub fn label(&self) -> String {
        match self.pages {
            Some(pages) => format!("Page {} of {pages}", self.page + 1),
            None => format!("Page {}", self.page + 1),
        }
    }
}

/// Previous, Refresh and Next buttons for a page. Buttons whose id would be too long (a
/// very long filter) are left out; the page itself still shows.
pub(crate) fn page_buttons(
    server: &str,
    view: PagedView,
    filter: &str,
    info: &PageInfo,
) -> Vec<Button> {
    let mut wanted = Vec::with_capacity(3);
    if info.has_prev {
        wanted.push((info.page - 1, "◀ Previous", ButtonStyle::Secondary));
    }
    wanted.push((info.page, "↻ Refresh", ButtonStyle::Secondary));
    if info.has_next {
        wanted.push((info.page + 1, "Next ▶", ButtonStyle::Primary));
    }
    wanted
        .into_iter()
        .filter_map(|(page, label, style)| {
            let id = PageTarget::new(view, page, filter).custom_id(server).ok()?;
            Some(Button::new(&id, label, style))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tokens_round_trip_through_custom_ids() {
        let target = PageTarget::new(PagedView::Players, 3, "Police");
        let id = target.custom_id("main").unwrap();
        assert_eq!(id.to_string(), "erlc:page:main:players-3-Police");
        let parsed = CustomId::parse(&id.to_string()).unwrap();
        assert_eq!(PageTarget::from_custom_id(&parsed), Ok(target));
        let odd = PageTarget::new(PagedView::Logs, 0, "24h-bob: x%y");
        assert_eq!(odd.encode(), "logs-0-24h-bob%3A%20x%25y");
        assert_eq!(PageTarget::decode(&odd.encode()), Ok(odd));
        let empty = PageTarget::new(PagedView::Audit, 1, "");
        assert_eq!(PageTarget::decode(&empty.encode()), Ok(empty));
    }

    #[test]
    fn bad_tokens_are_errors() {
        use PageTargetError::*;
        assert!(matches!(PageTarget::decode("players-1"), Err(Shape(_))));
        assert!(matches!(
            PageTarget::decode("nope-1-x"),
            Err(UnknownView(_))
        ));
        assert!(matches!(PageTarget::decode("bans-x-"), Err(BadPage(_))));
        assert_eq!(PageTarget::decode("bans-0-%Z1"), Err(BadFilter));
        assert_eq!(PageTarget::decode("bans-0-%F"), Err(BadFilter));
        assert_eq!(PageTarget::decode("bans-0-%FF"), Err(BadFilter));
        let kick = CustomId::player(ButtonAction::PlayerKick, "main", 1).unwrap();
        assert_eq!(PageTarget::from_custom_id(&kick), Err(NotAPageButton));
        let long = PageTarget::new(PagedView::Logs, 1, &"x".repeat(90));
        assert!(long.custom_id("main").is_err());
    }

    #[test]
    fn list_pages_clamp_and_cover_every_item() {
        let info = PageInfo::of_list(9, 45, 20);
        assert_eq!((info.page, info.pages), (2, Some(3)));
        assert!(info.has_prev && !info.has_next);
        assert_eq!(info.range(20), 40..45);
        let empty = PageInfo::of_list(0, 0, 20);
        assert_eq!((empty.pages, empty.range(20)), (Some(1), 0..0));
        assert!(!empty.has_prev && !empty.has_next);
        assert_eq!(PageInfo::of_list(1, 40, 20).range(20), 20..40);
        assert_eq!(PageInfo::of_query(2, true).label(), "Page 3");
    }

    #[test]
    fn buttons_follow_the_neighbours() {
        let labels = |info: PageInfo| -> Vec<String> {
            page_buttons("main", PagedView::Bans, "", &info)
                .into_iter()
                .map(|b| b.label)
                .collect()
        };
        assert_eq!(labels(PageInfo::of_list(0, 5, 20)), ["↻ Refresh"]);
        assert_eq!(
            labels(PageInfo::of_list(1, 60, 20)),
            ["◀ Previous", "↻ Refresh", "Next ▶"]
        );
        let too_long = page_buttons(
            "main",
            PagedView::Logs,
            &"y".repeat(95),
            &PageInfo::of_query(0, true),
        );
        assert!(too_long.is_empty());
    }

    proptest! {
        #[test]
        fn any_filter_round_trips(filter in "\\PC{0,30}|[:% \\n\\t-]{0,10}", page in 0usize..10_000) {
            let target = PageTarget::new(PagedView::Logs, page, &filter);
            let token = target.encode();
            prop_assert!(!token.contains(':') && !token.chars().any(char::is_whitespace));
            prop_assert_eq!(PageTarget::decode(&token), Ok(target));
        }

        #[test]
        fn decoding_never_panics(token in "\\PC{0,60}") {
            let _ = PageTarget::decode(&token);
        }
    }
}
