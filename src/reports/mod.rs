//! Staff reports as pure functions of their data: UTC days and weeks, quota arithmetic
//! (pro-rata over the period, less approved leave), CSV with formula cells neutralised, and
//! PNG bar charts. No I/O and no Discord here: the actions gather the data, the front ends
//! attach the bytes.

pub mod chart;
pub mod csv;
pub mod dates;
pub mod quota;
