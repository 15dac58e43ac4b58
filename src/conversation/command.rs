//! The commands people type and the payloads of the buttons they press, as types every
//! channel shares.
//!
//! A channel turns `/area 世田谷区` (Telegram also `/Area@MadoguchiBot 世田谷区`) into a
//! [`Command`] and its argument, and a pressed button's data into a [`Payload`]; the dialog and
//! the staff tools match on the types, never on strings. Each type prints itself as the text
//! it parses from, and the round trip is tested, so a button made today is read back the same
//! after a restart.
//!
//! teloxide's `BotCommands` derive is not used: the descriptions Telegram shows are resident
//! texts staff keep in `dialogs/texts.toml`, not doc comments, and the terminal chat reads the
//! same commands without Telegram's `@botname` form.

use std::fmt;
use std::str::FromStr;

use crate::content::dialogs::texts::Texts;

/// A command, without its slash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// The greeting; `/start <category key>` (a deep link) opens that category.
    Start,
    Menu,
    /// `/area` shows the choice of municipality; `/area 用賀` sets it from a place name.
    Area,
    Help,
    /// Everything kept about the chat is erased.
    Forget,
    /// Staff: use in the last days (`/stats 30`).
    Stats,
    /// Staff: the questions the bot was unsure of (`/unanswered 5`).
    Unanswered,
    /// Staff: what the engine would answer and why (`/test [id] 質問`).
    Test,
    /// Staff: read `index/` and `dialogs/` again now.
    Reload,
}

impl Command {
    /// What residents see in Telegram's command list, in that order.
    pub const RESIDENT: [Command; 5] = [Command::Start, Command::Menu, Command::Area, Command::Help, Command::Forget];
    /// What staff see besides (`/reload` is not listed: it is for administrators).
    pub const STAFF: [Command; 3] = [Command::Stats, Command::Unanswered, Command::Test];
    const ALL: [Command; 9] = [
        Command::Start,
        Command::Menu,
        Command::Area,
        Command::Help,
        Command::Forget,
        Command::Stats,
        Command::Unanswered,
        Command::Test,
        Command::Reload,
    ];

    /// The name typed after the slash.
    pub fn name(self) -> &'static str {
        match self {
            Command::Start => "start",
            Command::Menu => "menu",
            Command::Area => "area",
            Command::Help => "help",
            Command::Forget => "forget",
            Command::Stats => "stats",
            Command::Unanswered => "unanswered",
            Command::Test => "test",
            Command::Reload => "reload",
        }
    }

    /// Whether only staff ids may use it (for anyone else it is an unknown command).
    pub fn is_staff(self) -> bool {
        matches!(self, Command::Stats | Command::Unanswered | Command::Test | Command::Reload)
    }

    /// Its line in Telegram's command list, from `dialogs/texts.toml`; `/reload` has none.
    pub fn description(self, texts: &Texts) -> Option<&str> {
        let (resident, staff) = (&texts.commands, &texts.staff.commands);
        Some(match self {
            Command::Start => &resident.start,
            Command::Menu => &resident.menu,
            Command::Area => &resident.area,
            Command::Help => &resident.help,
            Command::Forget => &resident.forget,
            Command::Stats => &staff.stats,
            Command::Unanswered => &staff.unanswered,
            Command::Test => &staff.test,
            Command::Reload => return None,
        })
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no command of madoguchi's (kept for the help reply and the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCommand(pub String);

impl FromStr for Command {
    type Err = UnknownCommand;

    /// Any case (`/Help`, as phones capitalise the first letter).
    fn from_str(name: &str) -> Result<Command, UnknownCommand> {
        Command::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownCommand(name.to_string()))
    }
}

/// What a button does, as its callback data says. Telegram allows 64 bytes of data; entry ids
/// and area names are the only variable parts, and the adapter leaves out a button whose data
/// would be longer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// `area:<municipality>`: the resident's municipality.
    Area(String),
    /// `area:-`: no municipality (わからない / 答えない).
    AreaNone,
    /// `e:<entry id>`: that entry's card.
    Entry(String),
    /// `alts`: the other candidates of the last answer.
    Alternatives,
    /// `fb+:<entry id>`: 役に立った.
    Helpful(String),
    /// `fb-:<entry id>`: 違った.
    NotHelpful(String),
    /// `gw`: the general consultation window of the resident's area.
    General,
    /// `gw:<municipality>`: that municipality's general window, which also becomes the chat's
    /// area (offered when the area is unknown, instead of every municipality's window at once).
    GeneralIn(String),
    /// `cat:<key>`: a category of the menu.
    Category(String),
    /// `menu`: the menu.
    Menu,
    /// Staff: `st:ok:<record reference>`: mark that question handled. The reference is read by
    /// the staff tools, which know the store.
    Handled(String),
}

impl Payload {
    /// The payload a button's data names, or `None` for data madoguchi never made (a forged
    /// or broken press, or a button of a version long gone): the dialog says it expired.
    pub fn parse(data: &str) -> Option<Payload> {
        let with = |prefix: &str| data.strip_prefix(prefix).filter(|rest| !rest.is_empty()).map(str::to_string);
        Some(match data {
            "area:-" => Payload::AreaNone,
            "alts" => Payload::Alternatives,
            "gw" => Payload::General,
            "menu" => Payload::Menu,
            _ => {
                if let Some(name) = with("area:") {
                    Payload::Area(name)
                } else if let Some(name) = with("gw:") {
                    Payload::GeneralIn(name)
                } else if let Some(id) = with("e:") {
                    Payload::Entry(id)
                } else if let Some(id) = with("fb+:") {
                    Payload::Helpful(id)
                } else if let Some(id) = with("fb-:") {
                    Payload::NotHelpful(id)
                } else if let Some(key) = with("cat:") {
                    Payload::Category(key)
                } else if let Some(reference) = with("st:ok:") {
                    Payload::Handled(reference)
                } else {
                    return None;
                }
            }
        })
    }
}

impl fmt::Display for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Payload::Area(name) => write!(f, "area:{name}"),
            Payload::AreaNone => f.write_str("area:-"),
            Payload::Entry(id) => write!(f, "e:{id}"),
            Payload::Alternatives => f.write_str("alts"),
            Payload::Helpful(id) => write!(f, "fb+:{id}"),
            Payload::NotHelpful(id) => write!(f, "fb-:{id}"),
            Payload::General => f.write_str("gw"),
            Payload::GeneralIn(name) => write!(f, "gw:{name}"),
            Payload::Category(key) => write!(f, "cat:{key}"),
            Payload::Menu => f.write_str("menu"),
            Payload::Handled(reference) => write!(f, "st:ok:{reference}"),
        }
    }
}

/// As the text a channel sends (replies are data that tests and the web page may print).
impl serde::Serialize for Payload {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_reads_back_from_its_name_in_any_case() {
        for command in Command::ALL {
            assert_eq!(command.name().parse::<Command>(), Ok(command));
            assert_eq!(command.name().to_ascii_uppercase().parse::<Command>(), Ok(command));
            assert_eq!(command.to_string(), command.name());
        }
        assert_eq!("shinitai".parse::<Command>(), Err(UnknownCommand("shinitai".into())));
        assert!("".parse::<Command>().is_err());
    }

    #[test]
    fn the_listed_commands_are_resident_or_staff_as_they_say() {
        assert!(Command::RESIDENT.iter().all(|c| !c.is_staff()));
        assert!(Command::STAFF.iter().all(|c| c.is_staff()));
    }

    #[test]
    fn every_payload_reads_back_from_its_text() {
        let payloads = [
            Payload::Area("世田谷区".into()),
            Payload::AreaNone,
            Payload::Entry("setagaya/haishoku-service".into()),
            Payload::Alternatives,
            Payload::Helpful("ogaki/a".into()),
            Payload::NotHelpful("ogaki/a".into()),
            Payload::General,
            Payload::GeneralIn("西東京市".into()),
            Payload::Category("kosodate".into()),
            Payload::Menu,
            Payload::Handled("0123456789abcdef".into()),
        ];
        for payload in payloads {
            assert_eq!(Payload::parse(&payload.to_string()), Some(payload.clone()), "{payload}");
        }
    }

    #[test]
    fn data_madoguchi_never_made_is_no_payload() {
        for data in ["", "e:", "fb+:", "area:", "cat:", "gw:", "st:ok:", "xyz", "menu2", "gw ", "E:a/b"] {
            assert_eq!(Payload::parse(data), None, "{data:?}");
        }
    }
}
