//! Reading a route's arguments (the request's `data`) with a 400 in plain words for each
//! missing or mistyped one. Discord ids are accepted as numbers or as strings of digits
//! (JavaScript cannot hold a snowflake in a number).

use serde_json::{Map, Value};

use super::protocol::Refusal;

/// A request's `data`.
pub(super) struct Args<'a>(pub &'a Map<String, Value>);

impl Args<'_> {
    fn bad(name: &str, what: &str) -> Refusal {
        Refusal::new(400, format!("`{name}` must be {what}"))
    }

    /// A whole number ≥ 0, as a JSON number or a string of digits; `None` when absent.
    pub fn opt_u64(&self, name: &str) -> Result<Option<u64>, Refusal> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| Self::bad(name, "a whole number, 0 or more")),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| Self::bad(name, "a whole number, 0 or more")),
            Some(_) => Err(Self::bad(name, "a whole number, 0 or more")),
        }
    }

    /// A required whole number (a Discord id, a Roblox id).
    pub fn u64(&self, name: &str) -> Result<u64, Refusal> {
        self.opt_u64(name)?
            .ok_or_else(|| Refusal::new(400, format!("`{name}` is required")))
    }

    /// A count, at most `max`; `default` when absent.
    pub fn count(&self, name: &str, default: usize, max: usize) -> Result<usize, Refusal> {
        let Some(n) = self.opt_u64(name)? else {
            return Ok(default);
        };
        usize::try_from(n)
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| Self::bad(name, &format!("at most {max}")))
    }

    /// Text; `None` when absent or blank.
    pub fn opt_text(&self, name: &str) -> Result<Option<String>, Refusal> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Self::bad(name, "text")),
        }
    }

    /// Required text.
    pub fn text(&self, name: &str) -> Result<String, Refusal> {
        self.opt_text(name)?
            .ok_or_else(|| Refusal::new(400, format!("`{name}` is required")))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn args(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn ids_as_numbers_or_digit_strings_and_plain_400s() {
        let data = args(json!({
            "guild": "800000000000000001", "member": 42, "neg": -1, "pad": 5,
            "word": "abc", "blank": "  ", "list": [1],
        }));
        let a = Args(&data);
        assert_eq!(a.u64("guild").unwrap(), 800_000_000_000_000_001);
        assert_eq!(a.u64("member").unwrap(), 42);
        assert_eq!(a.u64("neg").unwrap_err().code, 400);
        assert_eq!(a.u64("word").unwrap_err().code, 400);
        let missing = a.u64("absent").unwrap_err();
        assert_eq!(missing.message, "`absent` is required");
        assert_eq!(
            a.count("pad", 0, 4).unwrap_err().message,
            "`pad` must be at most 4"
        );
        assert_eq!(a.count("pad", 0, 5).unwrap(), 5);
        assert_eq!(a.count("absent", 7, 5).unwrap(), 7);
        assert_eq!(a.opt_text("blank").unwrap(), None);
        assert_eq!(a.text("word").unwrap(), "abc");
        assert_eq!(a.text("list").unwrap_err().code, 400);
    }
}
