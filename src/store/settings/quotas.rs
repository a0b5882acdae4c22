//! Weekly activity quotas per Discord role, kept in the guild's settings record.

/// One role's weekly quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RoleQuota {
    /// Discord role id.
    pub role: u64,
    /// Minutes on shift per week (breaks not counted).
    pub minutes: u32,
    /// Moderation actions per week, when required.
    pub actions: Option<u32>,
}

/// Set `quota` for its role in `quotas`, replacing the role's old one; sorted by role.
pub fn upsert(quotas: &mut Vec<RoleQuota>, quota: RoleQuota) {
    quotas.retain(|q| q.role != quota.role);
    quotas.push(quota);
    quotas.sort_by_key(|q| q.role);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_quota_per_role() {
        let mut quotas = Vec::new();
        upsert(
            &mut quotas,
            RoleQuota {
                role: 9,
                minutes: 60,
                actions: None,
            },
        );
        upsert(
            &mut quotas,
            RoleQuota {
                role: 3,
                minutes: 30,
                actions: Some(2),
            },
        );
        upsert(
            &mut quotas,
            RoleQuota {
                role: 9,
                minutes: 90,
                actions: None,
            },
        );
        assert_eq!(
            quotas
                .iter()
                .map(|q| (q.role, q.minutes))
                .collect::<Vec<_>>(),
            [(3, 30), (9, 90)]
        );
    }
}
