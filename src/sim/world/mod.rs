//! The state of one simulated private server and the primitive changes to it. Encoding to
//! JSON lives in `encode`, command parsing in `commands`.

mod types;

use std::collections::{BTreeMap, VecDeque};

use rand::Rng;
use rand::rngs::StdRng;

pub use types::*;

/// One private server.
#[derive(Debug)]
pub struct World {
    /// Stable internal server id (the key's part after `-`).
    pub server_id: String,
    /// The base server fields (`CurrentPlayers` is counted from `players`).
    pub info: ServerInfo,
    /// Everyone in the server, in join order.
    pub players: Vec<Player>,
    /// Admin, mod and helper lists, kept in step with permissions.
    pub staff: StaffMaps,
    /// User ids waiting to join, first in line first.
    pub queue: Vec<u64>,
    /// Joins and leaves, oldest first, at most `retention`.
    pub join_logs: VecDeque<JoinLog>,
    /// Kills, oldest first, at most `retention`.
    pub kill_logs: VecDeque<KillLog>,
    /// Commands run (API and in game), oldest first, at most `retention`.
    pub command_logs: VecDeque<CommandLog>,
    /// Mod calls, oldest first, at most `retention`.
    pub mod_calls: VecDeque<ModCall>,
    /// Active 911 calls.
    pub emergency_calls: Vec<EmergencyCall>,
    /// Spawned vehicles.
    pub vehicles: Vec<Vehicle>,
    /// Banned user id → username.
    pub bans: BTreeMap<u64, String>,
    /// Time, weather, timers, fire and layout set by commands.
    pub flags: ServerFlags,
    /// `:h`, `:m` and `:pm` shown in game, for tests to read.
    pub messages: Vec<SentMessage>,
    /// Every command applied, for tests to read.
    pub applied: Vec<AppliedCommand>,
    /// Everyone ever seen, so `:ban <id>` of an absent user still has a name.
    pub known_users: BTreeMap<u64, String>,
    /// PRC's window: how many entries each log keeps.
    pub retention: usize,
    /// This server's seeded generator (ids, names, plates, activity).
    pub rng: StdRng,
    /// Where this server's event webhooks go (set only after a successful probe).
    pub webhook_url: Option<String>,
    /// The activity generator's progress on this server.
    pub activity: super::activity::ActivityState,
    next_seq: u64,
    next_call_number: u64,
}

/// Why a world change could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    /// No player with this user id is online.
    #[error("no player with id {0} is in the server")]
    NoSuchPlayer(u64),
    /// A player with this user id is already online.
    #[error("a player with id {0} is already in the server")]
    DuplicatePlayer(u64),
    /// No mod call with this number is still in the log window.
    #[error("no mod call number {0} is in the mod call window")]
    NoSuchModCall(u64),
    /// No active 911 call has this CallNumber.
    #[error("no active emergency call number {0}")]
    NoSuchEmergencyCall(u64),
    /// No spawned vehicle has this number.
    #[error("no vehicle number {0} is spawned")]
    NoSuchVehicle(u64),
}

fn push_capped<T>(log: &mut VecDeque<T>, item: T, cap: usize) {
    log.push_back(item);
    while log.len() > cap {
        log.pop_front();
    }
}

/// The callsign a player on `team` gets: none for civilians and inmates.
fn callsign_for(team: &str, id: u64) -> Option<String> {
    if team == CIVILIAN || team == JAIL {
        return None;
    }
    let letter = team.chars().next().unwrap_or('U').to_ascii_uppercase();
    Some(format!("{letter}-{}", id % 100))
}

/// Smallest generated user id: above 2^32 so 32-bit decoders fail loudly.
pub const MIN_GENERATED_ID: u64 = (1 << 32) + 1;

impl World {
    /// An empty server: no players, logs, calls or vehicles.
    pub fn new(server_id: String, info: ServerInfo, retention: usize, rng: StdRng) -> Self {
        Self {
            server_id,
            info,
            players: Vec::new(),
            staff: StaffMaps::default(),
            queue: Vec::new(),
            join_logs: VecDeque::new(),
            kill_logs: VecDeque::new(),
            command_logs: VecDeque::new(),
            mod_calls: VecDeque::new(),
            emergency_calls: Vec::new(),
            vehicles: Vec::new(),
            bans: BTreeMap::new(),
            flags: ServerFlags::default(),
            messages: Vec::new(),
            applied: Vec::new(),
            known_users: BTreeMap::new(),
            retention,
            rng,
            webhook_url: None,
            activity: super::activity::ActivityState::default(),
            next_seq: 1,
            next_call_number: 1,
        }
    }

    fn next_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// The online player with this user id.
    pub fn player(&self, id: u64) -> Option<&Player> {
        self.players.iter().find(|p| p.id == id)
    }

    /// The online player with this user id, to change.
    pub fn player_mut(&mut self, id: u64) -> Option<&mut Player> {
        self.players.iter_mut().find(|p| p.id == id)
    }

    fn identity(&self, id: u64) -> Result<(String, u64), WorldError> {
        self.player(id)
            .map(|p| (p.name.clone(), p.id))
            .ok_or(WorldError::NoSuchPlayer(id))
    }

    /// A fresh user id above 2^32 not used by anyone seen so far.
    pub fn generate_id(&mut self) -> u64 {
        loop {
            let id = self.rng.gen_range(MIN_GENERATED_ID..=99_999_999_999);
            if !self.known_users.contains_key(&id) {
                return id;
            }
        }
    }

    /// The permission a user gets on joining, from ownership and the staff maps.
    fn default_permission(&self, id: u64) -> &'static str {
        if id == self.info.owner_id {
            OWNER
        } else if self.info.co_owner_ids.contains(&id) {
            CO_OWNER
        } else if self.staff.admins.contains_key(&id) {
            ADMINISTRATOR
        } else if self.staff.mods.contains_key(&id) {
            MODERATOR
        } else if self.staff.helpers.contains_key(&id) {
            HELPER
        } else {
            NORMAL
        }
    }

    /// A player joins: appears in Players, leaves the queue, gets a `Join:true` log.
    pub fn add_player(&mut self, spec: PlayerSpec, now: i64) -> Result<u64, WorldError> {
        let id = match spec.id {
            Some(id) => id,
            None => self.generate_id(),
        };
        if self.player(id).is_some() {
            return Err(WorldError::DuplicatePlayer(id));
        }
        let name = match spec.name {
            Some(name) => name,
            None => super::activity::roblox_name(&mut self.rng),
        };
        let team = spec.team.unwrap_or_else(|| CIVILIAN.to_owned());
        let callsign = match spec.callsign {
            Some(c) => Some(c),
            None => callsign_for(&team, id),
        };
        let permission = spec
            .permission
            .unwrap_or_else(|| self.default_permission(id).to_owned());
        self.known_users.insert(id, name.clone());
        self.queue.retain(|q| *q != id);
        self.players.push(Player {
            name: name.clone(),
            id,
            team,
            permission: NORMAL.to_owned(),
            callsign,
            location: spec.location.unwrap_or_default(),
            wanted_stars: spec.wanted_stars,
            team_before_jail: None,
        });
        self.set_permission(id, &permission)?;
        let cap = self.retention;
        push_capped(
            &mut self.join_logs,
            JoinLog {
                join: true,
                timestamp: now,
                name,
                id,
            },
            cap,
        );
        Ok(id)
    }

    /// A player leaves (or is kicked): gone from Players, vehicles despawn, `Join:false` log.
    pub fn remove_player(&mut self, id: u64, now: i64) -> Result<(), WorldError> {
        let (name, id) = self.identity(id)?;
        self.players.retain(|p| p.id != id);
        self.vehicles.retain(|v| v.owner_id != id);
        for call in &mut self.emergency_calls {
            call.players.retain(|p| *p != id);
        }
        let cap = self.retention;
        push_capped(
            &mut self.join_logs,
            JoinLog {
                join: false,
                timestamp: now,
                name,
                id,
            },
            cap,
        );
        Ok(())
    }

    /// Move a player to `team`; the callsign is regenerated for it.
    pub fn set_team(&mut self, id: u64, team: &str) -> Result<(), WorldError> {
        let player = self.player_mut(id).ok_or(WorldError::NoSuchPlayer(id))?;
        player.team = team.to_owned();
        player.callsign = callsign_for(team, id);
        Ok(())
    }

    /// Set a permission and keep the Staff maps in step with it.
    pub fn set_permission(&mut self, id: u64, permission: &str) -> Result<(), WorldError> {
        let (name, id) = self.identity(id)?;
        self.staff.admins.remove(&id);
        self.staff.mods.remove(&id);
        self.staff.helpers.remove(&id);
        match permission {
            ADMINISTRATOR => {
                self.staff.admins.insert(id, name);
            }
            MODERATOR => {
                self.staff.mods.insert(id, name);
            }
            HELPER => {
                self.staff.helpers.insert(id, name);
            }
            _ => {}
        }
        if let Some(player) = self.player_mut(id) {
            player.permission = permission.to_owned();
        }
        Ok(())
    }

    /// Set a player's wanted stars (0 = not wanted).
    pub fn set_wanted(&mut self, id: u64, stars: u32) -> Result<(), WorldError> {
        let player = self.player_mut(id).ok_or(WorldError::NoSuchPlayer(id))?;
        player.wanted_stars = stars;
        Ok(())
    }

    /// Log a kill between two online players.
    pub fn add_kill(&mut self, killer: u64, killed: u64, now: i64) -> Result<(), WorldError> {
        let killer = self.identity(killer)?;
        let killed = self.identity(killed)?;
        let cap = self.retention;
        push_capped(
            &mut self.kill_logs,
            KillLog {
                killed,
                killer,
                timestamp: now,
            },
            cap,
        );
        Ok(())
    }

    /// Append a command-log row with the full command text.
    pub fn log_command(&mut self, actor: SimActor, command: &str, now: i64) {
        let cap = self.retention;
        push_capped(
            &mut self.command_logs,
            CommandLog {
                actor,
                command: command.to_owned(),
                timestamp: now,
            },
            cap,
        );
    }

    /// An online player calls for a moderator; returns the call's number.
    pub fn add_mod_call(&mut self, caller: u64, now: i64) -> Result<u64, WorldError> {
        let caller = self.identity(caller)?;
        let seq = self.next_seq();
        let cap = self.retention;
        push_capped(
            &mut self.mod_calls,
            ModCall {
                seq,
                caller,
                moderator: None,
                timestamp: now,
            },
            cap,
        );
        Ok(seq)
    }

    /// An online moderator answers mod call `seq`.
    pub fn answer_mod_call(&mut self, seq: u64, moderator: u64) -> Result<(), WorldError> {
        let moderator = self.identity(moderator)?;
        let call = self
            .mod_calls
            .iter_mut()
            .find(|c| c.seq == seq)
            .ok_or(WorldError::NoSuchModCall(seq))?;
        call.moderator = Some(moderator);
        Ok(())
    }

    /// An online player dials 911 for `team`'s service; the call is placed where they stand.
    pub fn start_emergency_call(
        &mut self,
        caller: u64,
        team: &str,
        description: Option<String>,
        now: i64,
    ) -> Result<EmergencyCall, WorldError> {
        let player = self
            .player(caller)
            .ok_or(WorldError::NoSuchPlayer(caller))?;
        let position = [player.location.x.round(), player.location.z.round()];
        let descriptor = format!(
            "{}, Postal {}",
            player.location.street, player.location.postal
        );
        let call = EmergencyCall {
            call_number: self.next_call_number,
            team: team.to_owned(),
            caller: Some(caller),
            players: Vec::new(),
            position,
            started_at: now,
            description,
            position_descriptor: Some(descriptor),
        };
        self.next_call_number += 1;
        self.emergency_calls.push(call.clone());
        Ok(call)
    }

    /// An online player responds to 911 call `number` (once, however often asked).
    pub fn respond_emergency_call(
        &mut self,
        number: u64,
        responder: u64,
    ) -> Result<(), WorldError> {
        self.identity(responder)?;
        let call = self
            .emergency_calls
            .iter_mut()
            .find(|c| c.call_number == number)
            .ok_or(WorldError::NoSuchEmergencyCall(number))?;
        if !call.players.contains(&responder) {
            call.players.push(responder);
        }
        Ok(())
    }

    /// Ends an active call and returns it (for the `EmergencyCallEnded` webhook).
    pub fn end_emergency_call(&mut self, number: u64) -> Result<EmergencyCall, WorldError> {
        let pos = self
            .emergency_calls
            .iter()
            .position(|c| c.call_number == number)
            .ok_or(WorldError::NoSuchEmergencyCall(number))?;
        Ok(self.emergency_calls.remove(pos))
    }

    /// An online player spawns a vehicle; returns its number. Unset fields get defaults.
    pub fn spawn_vehicle(&mut self, owner: u64, spec: VehicleSpec) -> Result<u64, WorldError> {
        let (owner_name, owner_id) = self.identity(owner)?;
        let seq = self.next_seq();
        let plate = match spec.plate {
            Some(p) => p,
            None => format!("SIM {:03}", self.rng.gen_range(0..1000)),
        };
        self.vehicles.push(Vehicle {
            seq,
            name: spec
                .name
                .unwrap_or_else(|| "2019 Falcon Interceptor Utility".to_owned()),
            owner: owner_name,
            owner_id,
            plate,
            texture: spec.texture,
            color_hex: spec.color_hex.unwrap_or_else(|| "#1F2A44".to_owned()),
            color_name: spec.color_name.unwrap_or_else(|| "Navy".to_owned()),
        });
        Ok(seq)
    }

    /// Remove the vehicle with number `seq`.
    pub fn despawn_vehicle(&mut self, seq: u64) -> Result<(), WorldError> {
        let before = self.vehicles.len();
        self.vehicles.retain(|v| v.seq != seq);
        if self.vehicles.len() == before {
            return Err(WorldError::NoSuchVehicle(seq));
        }
        Ok(())
    }

    /// A user joins the end of the queue (no-op if already there).
    pub fn queue_push(&mut self, id: u64) {
        if !self.queue.contains(&id) {
            self.queue.push(id);
        }
    }

    /// A user leaves the queue.
    pub fn queue_remove(&mut self, id: u64) {
        self.queue.retain(|q| *q != id);
    }

    /// Put a user on the ban list under this name (no kick).
    pub fn add_ban(&mut self, id: u64, name: &str) {
        self.known_users
            .entry(id)
            .or_insert_with(|| name.to_owned());
        self.bans.insert(id, name.to_owned());
    }

    /// Take a user off the ban list; false if they were not on it.
    pub fn remove_ban(&mut self, id: u64) -> bool {
        self.bans.remove(&id).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn world() -> World {
        let info = ServerInfo {
            name: "Test".into(),
            owner_id: 1,
            co_owner_ids: vec![2],
            max_players: 40,
            join_key: "ABCDE".into(),
            acc_verified_req: "Disabled".into(),
            team_balance: true,
        };
        World::new("srv".into(), info, 3, StdRng::seed_from_u64(7))
    }

    #[test]
    fn logs_keep_only_the_retention_window() {
        let mut w = world();
        for n in 0..5 {
            w.log_command(SimActor::RemoteServer, &format!(":h {n}"), n);
        }
        let kept: Vec<_> = w.command_logs.iter().map(|c| c.timestamp).collect();
        assert_eq!(kept, vec![2, 3, 4]);
    }

    #[test]
    fn join_and_leave_are_logged_and_generated_ids_exceed_u32() {
        let mut w = world();
        let id = w.add_player(PlayerSpec::default(), 10).unwrap();
        assert!(id > u64::from(u32::MAX));
        w.remove_player(id, 11).unwrap();
        let joins: Vec<_> = w.join_logs.iter().map(|j| j.join).collect();
        assert_eq!(joins, vec![true, false]);
        assert_eq!(w.remove_player(id, 12), Err(WorldError::NoSuchPlayer(id)));
    }

    #[test]
    fn permissions_keep_staff_maps_in_step() {
        let mut w = world();
        let id = w
            .add_player(PlayerSpec::named("a").with_permission(MODERATOR), 0)
            .unwrap();
        assert!(w.staff.mods.contains_key(&id));
        w.set_permission(id, ADMINISTRATOR).unwrap();
        assert!(!w.staff.mods.contains_key(&id));
        assert_eq!(w.staff.admins.get(&id).map(String::as_str), Some("a"));
        let owner = w.add_player(PlayerSpec::named("o").with_id(1), 0).unwrap();
        assert_eq!(w.player(owner).unwrap().permission, OWNER);
    }
}
