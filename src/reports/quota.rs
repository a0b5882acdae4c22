//! Quota arithmetic. A quota is weekly (minutes on shift, and optionally moderation actions)
//! and belongs to a Discord role; a member with several quota roles gets the highest one (most
//! minutes, then most actions), since the senior role's requirement is the one that binds.
//! Over a report period the requirement is pro rata: the weekly figure times the share of a
//! 7-day week the period lasts, less approved leave, rounded up. So a 3-day period with one
//! day of leave needs 2/7 of the weekly minutes, and a period entirely on leave is excused.

use super::dates::WEEK_MS;

/// A weekly requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Quota {
    /// Minutes on shift (breaks not counted) per week.
    pub minutes: u32,
    /// Moderation actions per week, when the role has that requirement too.
    pub actions: Option<u32>,
}

/// The quota that applies to a member with `roles`: the highest of their roles' quotas, with
/// the role it comes from.
pub fn effective(roles: &[u64], quotas: &[(u64, Quota)]) -> Option<(u64, Quota)> {
    quotas
        .iter()
        .filter(|(role, _)| roles.contains(role))
        .max_by_key(|(role, q)| (q.minutes, q.actions.unwrap_or(0), std::cmp::Reverse(*role)))
        .copied()
}

/// How much of `[from_ms, until_ms)` the spans cover, counting overlapping spans once.
pub fn covered_ms(from_ms: i64, until_ms: i64, spans: &[(i64, i64)]) -> i64 {
    let mut clipped: Vec<(i64, i64)> = spans
        .iter()
        .map(|&(a, b)| (a.max(from_ms), b.min(until_ms)))
        .filter(|(a, b)| a < b)
        .collect();
    clipped.sort_unstable();
    let (mut total, mut reached) = (0, i64::MIN);
    for (a, b) in clipped {
        let start = a.max(reached);
        if b > start {
            total += b - start;
        }
        reached = reached.max(b);
    }
    total
}

/// What a member must do over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    /// Minutes on shift required.
    pub minutes: u64,
    /// Moderation actions required, if the quota asks for them.
    pub actions: Option<u64>,
    /// Milliseconds of the period on approved leave.
    pub leave_ms: i64,
    /// Milliseconds of the period not on leave.
    pub duty_ms: i64,
}

/// The weekly `quota` scaled to `[from_ms, until_ms)` less the `leaves` (approved, any
/// overlap with the period), rounded up.
pub fn requirement(
    quota: Quota,
    from_ms: i64,
    until_ms: i64,
    leaves: &[(i64, i64)],
) -> Requirement {
    let period = (until_ms - from_ms).max(0);
    let leave_ms = covered_ms(from_ms, until_ms, leaves);
    let duty_ms = period - leave_ms;
    let scale = |weekly: u32| -> u64 {
        let numerator = i128::from(weekly) * i128::from(duty_ms);
        let week = i128::from(WEEK_MS);
        u64::try_from((numerator + week - 1) / week).unwrap_or(u64::MAX)
    };
    Requirement {
        minutes: scale(quota.minutes),
        actions: quota.actions.map(scale),
        leave_ms,
        duty_ms,
    }
}

/// Whether a member met their quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Did at least what was required.
    Met,
    /// The period is over and they did less.
    Missed,
    /// Less so far, and the period is not over yet.
    InProgress,
    /// On approved leave for the whole period.
    Excused,
    /// None of their roles has a quota.
    NoQuota,
}

impl Verdict {
    /// The word in the report and its CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::Missed => "missed",
            Self::InProgress => "in progress",
            Self::Excused => "excused (leave)",
            Self::NoQuota => "no quota",
        }
    }
}

/// Judge what was done against the requirement.
pub fn verdict(
    required: Option<&Requirement>,
    minutes_done: u64,
    actions_done: u64,
    period_over: bool,
) -> Verdict {
    let Some(required) = required else {
        return Verdict::NoQuota;
    };
    if required.duty_ms == 0 {
        return Verdict::Excused;
    }
    let met = minutes_done >= required.minutes
        && required.actions.is_none_or(|needed| actions_done >= needed);
    match (met, period_over) {
        (true, _) => Verdict::Met,
        (false, true) => Verdict::Missed,
        (false, false) => Verdict::InProgress,
    }
}

#[cfg(test)]
mod tests {
    use super::super::dates::DAY_MS;
    use super::*;

    const MONDAY: i64 = 1_772_409_600_000; // 2026-03-02 00:00 UTC

    fn q(minutes: u32, actions: Option<u32>) -> Quota {
        Quota { minutes, actions }
    }

    #[test]
    fn the_highest_quota_of_a_members_roles_applies() {
        let quotas = [
            (10, q(60, None)),
            (11, q(120, Some(5))),
            (12, q(120, Some(2))),
        ];
        assert_eq!(
            effective(&[10, 11, 12], &quotas),
            Some((11, q(120, Some(5))))
        );
        assert_eq!(effective(&[10, 99], &quotas), Some((10, q(60, None))));
        assert_eq!(effective(&[99], &quotas), None);
        // Equal quotas: the lower role id, so the answer does not depend on order.
        let tie = [(21, q(30, None)), (20, q(30, None))];
        assert_eq!(effective(&[21, 20], &tie), Some((20, q(30, None))));
    }

    #[test]
    fn a_full_week_needs_the_weekly_figure_and_partial_periods_pro_rata() {
        let week = requirement(q(120, Some(7)), MONDAY, MONDAY + WEEK_MS, &[]);
        assert_eq!((week.minutes, week.actions), (120, Some(7)));
        // Three days: 120 × 3/7 = 51.43, rounded up.
        let three = requirement(q(120, Some(7)), MONDAY, MONDAY + 3 * DAY_MS, &[]);
        assert_eq!((three.minutes, three.actions), (52, Some(3)));
        // Thirty days: 120 × 30/7 = 514.29.
        let month = requirement(q(120, None), MONDAY, MONDAY + 30 * DAY_MS, &[]);
        assert_eq!(month.minutes, 515);
        // A period across two weeks is not two partial weeks rounded separately.
        let across = requirement(q(70, None), MONDAY + 5 * DAY_MS, MONDAY + 9 * DAY_MS, &[]);
        assert_eq!(across.minutes, 40);
    }

    #[test]
    fn approved_leave_reduces_the_requirement_and_overlaps_count_once() {
        let leaves = [
            (MONDAY + 2 * DAY_MS, MONDAY + 4 * DAY_MS),
            (MONDAY + 3 * DAY_MS, MONDAY + 5 * DAY_MS),
            // Outside the period: ignored.
            (MONDAY - 3 * DAY_MS, MONDAY),
        ];
        let r = requirement(q(140, None), MONDAY, MONDAY + WEEK_MS, &leaves);
        assert_eq!(r.leave_ms, 3 * DAY_MS);
        assert_eq!(r.minutes, 80);
        // Leave sticking out of the period counts only inside it.
        let r = requirement(q(140, None), MONDAY, MONDAY + 3 * DAY_MS, &leaves);
        assert_eq!((r.leave_ms, r.minutes), (DAY_MS, 40));
        // The whole period on leave: excused, whatever was done.
        let all = [(MONDAY - DAY_MS, MONDAY + 10 * DAY_MS)];
        let r = requirement(q(140, None), MONDAY, MONDAY + WEEK_MS, &all);
        assert_eq!((r.minutes, r.duty_ms), (0, 0));
        assert_eq!(verdict(Some(&r), 0, 0, true), Verdict::Excused);
    }

    #[test]
    fn verdicts() {
        let r = requirement(q(70, Some(2)), MONDAY, MONDAY + WEEK_MS, &[]);
        assert_eq!(verdict(Some(&r), 70, 2, true), Verdict::Met);
        assert_eq!(verdict(Some(&r), 70, 1, true), Verdict::Missed);
        assert_eq!(verdict(Some(&r), 69, 9, true), Verdict::Missed);
        assert_eq!(verdict(Some(&r), 10, 0, false), Verdict::InProgress);
        assert_eq!(verdict(Some(&r), 80, 5, false), Verdict::Met);
        assert_eq!(verdict(None, 80, 5, true), Verdict::NoQuota);
        let minutes_only = requirement(q(70, None), MONDAY, MONDAY + WEEK_MS, &[]);
        assert_eq!(verdict(Some(&minutes_only), 70, 0, true), Verdict::Met);
    }

    #[test]
    fn covered_time_merges_overlaps() {
        assert_eq!(
            covered_ms(0, 100, &[(10, 20), (15, 30), (50, 60), (55, 58)]),
            30
        );
        assert_eq!(covered_ms(0, 100, &[(-50, 500)]), 100);
        assert_eq!(covered_ms(0, 100, &[(30, 20)]), 0);
        assert_eq!(covered_ms(0, 100, &[]), 0);
    }
}
