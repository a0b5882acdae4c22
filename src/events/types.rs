//! Event types (`main/player/join`) and subscription patterns (`?/player/*`): parsing,
//! validation and matching. `?` matches exactly one segment; a trailing `*` matches zero or more.

use std::fmt;

/// Longest segment we accept; labels and kinds are short words.
pub const MAX_SEGMENT_LEN: usize = 32;
/// Deepest type we accept.
pub const MAX_SEGMENTS: usize = 8;

/// Why a type, pattern or segment was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventTypeError {
    /// The text was empty.
    #[error("it is empty")]
    Empty,
    /// Two `/` in a row, or a `/` at either end.
    #[error("it has an empty part (two `/` in a row, or a `/` at the start or end)")]
    EmptySegment,
    /// The given segment is longer than [`MAX_SEGMENT_LEN`] characters.
    #[error("`{0}` is too long (at most {MAX_SEGMENT_LEN} characters per part)")]
    SegmentTooLong(String),
    /// More than [`MAX_SEGMENTS`] segments.
    #[error("it has more than {MAX_SEGMENTS} parts")]
    TooManySegments,
    /// The given segment holds a character other than ASCII letters, digits, `-` and `_`.
    #[error("`{0}` may only use letters, digits, `-` and `_` (and `?` or a final `*` in patterns)")]
    BadCharacter(String),
    /// A `*` somewhere other than as the whole last segment of a pattern.
    #[error("`*` is only allowed as the whole last part of a pattern")]
    MisplacedStar,
}

/// Check one segment of an event type (also used for server labels).
pub fn validate_segment(segment: &str) -> Result<(), EventTypeError> {
    if segment.is_empty() {
        return Err(EventTypeError::EmptySegment);
    }
    if segment.chars().count() > MAX_SEGMENT_LEN {
        return Err(EventTypeError::SegmentTooLong(segment.to_owned()));
    }
    if !segment
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(EventTypeError::BadCharacter(segment.to_owned()));
    }
    Ok(())
}

fn split(text: &str) -> Result<Vec<&str>, EventTypeError> {
    if text.is_empty() {
        return Err(EventTypeError::Empty);
    }
    let parts: Vec<&str> = text.split('/').collect();
    if parts.len() > MAX_SEGMENTS {
        return Err(EventTypeError::TooManySegments);
    }
    Ok(parts)
}

/// A concrete event type such as `main/player/join`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventType(String);

impl EventType {
    /// Parse and validate `a/b/c`.
    pub fn parse(text: &str) -> Result<Self, EventTypeError> {
        for segment in split(text)? {
            validate_segment(segment)?;
        }
        Ok(Self(text.to_owned()))
    }

    /// Build from segments, validating each.
    pub fn from_segments<S: AsRef<str>>(segments: &[S]) -> Result<Self, EventTypeError> {
        let joined = segments
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join("/");
        Self::parse(&joined)
    }

    /// The type as written, e.g. `main/player/join`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `/`-separated parts, server label first.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The first segment: the server label for per-server events.
    pub fn server(&self) -> &str {
        self.0.split('/').next().unwrap_or_default()
    }

    /// Everything after the server label, e.g. `player/join`.
    pub fn kind(&self) -> &str {
        self.0.split_once('/').map(|(_, k)| k).unwrap_or_default()
    }
}

impl TryFrom<String> for EventType {
    type Error = EventTypeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EventType> for String {
    fn from(value: EventType) -> Self {
        value.0
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventType({})", self.0)
    }
}

/// One segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PatternSegment {
    /// Matches exactly this text.
    Exact(String),
    /// `?`: matches any one segment.
    Any,
    /// `*` (last only): matches zero or more segments.
    Rest,
}

/// A subscription pattern such as `?/player/*` or `main/*`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Pattern {
    text: String,
    segments: Vec<PatternSegment>,
}

impl Pattern {
    /// Parse and validate a pattern.
    pub fn parse(text: &str) -> Result<Self, EventTypeError> {
        let parts = split(text)?;
        let last = parts.len() - 1;
        let mut segments = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            segments.push(match *part {
                "?" => PatternSegment::Any,
                "*" if i == last => PatternSegment::Rest,
                "*" => return Err(EventTypeError::MisplacedStar),
                p if p.contains('*') => return Err(EventTypeError::MisplacedStar),
                p => {
                    validate_segment(p)?;
                    PatternSegment::Exact(p.to_owned())
                }
            });
        }
        Ok(Self {
            text: text.to_owned(),
            segments,
        })
    }

    /// The pattern as written, e.g. `?/player/*`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed parts, in order.
    pub fn segments(&self) -> &[PatternSegment] {
        &self.segments
    }

    /// Does this pattern match the event type?
    pub fn matches(&self, event_type: &EventType) -> bool {
        let mut segs = event_type.segments();
        for (i, p) in self.segments.iter().enumerate() {
            match p {
                PatternSegment::Rest => {
                    debug_assert_eq!(i, self.segments.len() - 1);
                    return true;
                }
                PatternSegment::Any => {
                    if segs.next().is_none() {
                        return false;
                    }
                }
                PatternSegment::Exact(text) => {
                    if segs.next() != Some(text.as_str()) {
                        return false;
                    }
                }
            }
        }
        segs.next().is_none()
    }
}

impl TryFrom<String> for Pattern {
    type Error = EventTypeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Pattern> for String {
    fn from(value: Pattern) -> Self {
        value.text
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({})", self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, ty: &str) -> bool {
        Pattern::parse(pattern)
            .unwrap()
            .matches(&EventType::parse(ty).unwrap())
    }

    #[test]
    fn matching_table() {
        let cases = [
            ("main/player/join", "main/player/join", true),
            ("main/player/join", "main/player/leave", false),
            ("main/player", "main/player/join", false),
            ("?/player/join", "main/player/join", true),
            ("?/player/join", "main/staff/join", false),
            ("?", "main", true),
            ("?", "main/kill", false),
            ("?/?", "main/kill", true),
            ("*", "main", true),
            ("*", "main/player/join", true),
            ("main/*", "main", true),
            ("main/*", "main/player/join", true),
            ("main/*", "side/player/join", false),
            ("?/player/*", "main/player", true),
            ("?/player/*", "main/player/join", true),
            ("?/player/*", "main/staff/join", false),
            ("?/?/*", "main", false),
            ("main/player/join/*", "main/player/join", true),
        ];
        for (p, t, want) in cases {
            assert_eq!(m(p, t), want, "{p} vs {t}");
        }
    }

    #[test]
    fn validation() {
        assert!(EventType::parse("main/player/join").is_ok());
        assert_eq!(EventType::parse(""), Err(EventTypeError::Empty));
        assert_eq!(
            EventType::parse("main//join"),
            Err(EventTypeError::EmptySegment)
        );
        assert!(matches!(
            EventType::parse("main/?/join"),
            Err(EventTypeError::BadCharacter(_))
        ));
        assert!(matches!(
            EventType::parse("ma in"),
            Err(EventTypeError::BadCharacter(_))
        ));
        assert_eq!(
            Pattern::parse("*/player"),
            Err(EventTypeError::MisplacedStar)
        );
        assert_eq!(Pattern::parse("ma*"), Err(EventTypeError::MisplacedStar));
        assert!(Pattern::parse("?/player/*").is_ok());
        assert!(validate_segment(&"x".repeat(MAX_SEGMENT_LEN + 1)).is_err());
        assert!(EventType::parse(&["a"; MAX_SEGMENTS + 1].join("/")).is_err());
    }

    #[test]
    fn serde_validates() {
        let t: EventType = serde_json::from_str("\"main/kill\"").unwrap();
        assert_eq!(t.server(), "main");
        assert_eq!(t.kind(), "kill");
        assert!(serde_json::from_str::<EventType>("\"main/*\"").is_err());
        let p: Pattern = serde_json::from_str("\"main/*\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"main/*\"");
    }
}
