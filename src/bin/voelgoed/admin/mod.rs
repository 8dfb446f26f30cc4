//! `voelgoed admin …`: create organisations, users and scanning devices, revoke devices
//! and limit what a gate admits, each through `voelgoed::provisioning`; add webhook
//! endpoints through `voelgoed::webhooks`; reset a user's two-factor sign-in through
//! `voelgoed::account`.

use clap::{Args, Subcommand};
use voelgoed::provisioning;

use crate::database::{blocking, open, DatabaseArgs};

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an organisation; prints its id.
    CreateOrg {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        name: String,
        /// IANA timezone, e.g. Europe/Amsterdam.
        #[arg(long, default_value = "UTC")]
        timezone: String,
    },
    /// Create a user in an organisation; prints its id.
    CreateUser {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        org: i64,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, env = "VOELGOED_NEW_PASSWORD")]
        password: String,
        /// owner, finance, supervisor or steward.
        #[arg(long, default_value = "owner")]
        role: String,
        /// An event a supervisor or steward runs; repeat for several.
        #[arg(long = "event")]
        events: Vec<i64>,
    },
    /// Create a scanning device at a gate (the gate is created when missing);
    /// prints the device token and nothing else. With --pairing-link, prints instead
    /// the path of a single-use link (ten minutes) that pairs a phone as the device.
    CreateDevice {
        #[command(flatten)]
        at: GateArgs,
        #[arg(long, conflicts_with = "pairing_link")]
        name: Option<String>,
        #[arg(long)]
        pairing_link: bool,
    },
    /// Revoke a scanning device's token.
    RevokeDevice {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        device: i64,
    },
    /// Limit the ticket types a gate admits (the gate is created when missing); with no
    /// --ticket-type every type is admitted again.
    GateTicketTypes {
        #[command(flatten)]
        at: GateArgs,
        /// A ticket type id the gate admits; repeat for several.
        #[arg(long = "ticket-type")]
        ticket_types: Vec<i64>,
    },
    /// Set an event's entry policy: reentry, no-reentry or once-per-day. The next scan
    /// batch of every device is decided under it.
    EntryPolicy {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        event: i64,
        #[arg(long)]
        policy: String,
    },
    /// Add a zone (an area with its own capacity) to an event; prints its id.
    CreateZone {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        event: i64,
        #[arg(long)]
        name: String,
        #[arg(long)]
        capacity: i64,
        /// What its entry passages do when it is full: warn (let in, say so) or refuse.
        #[arg(long, default_value = "warn")]
        when_full: String,
    },
    /// Make a gate (created when missing) a passage between zones: from `outside` or a
    /// zone's name, to a zone's name. An entry scan walks it forwards, an exit back.
    GatePassage {
        #[command(flatten)]
        at: GateArgs,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
    /// Clear a user's two-factor sign-in (a lost phone and lost recovery codes) and end
    /// their sessions; they sign in with their password and may enrol again. Audited.
    #[command(name = "reset-2fa")]
    ResetTwoFactor {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        user: i64,
    },
    /// Add a webhook endpoint to an organisation; prints its signing secret.
    CreateWebhook {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        org: i64,
        /// http:// or https:// URL the deliveries are posted to.
        #[arg(long)]
        url: String,
        /// An event it receives (order.paid, order.refunded, order.cancelled,
        /// scan.recorded, capacity.alert); repeat for several. None: every event.
        #[arg(long = "event")]
        events: Vec<String>,
        /// Allow a private or loopback target (as `serve --webhooks-allow-private`).
        #[arg(long, env = "VOELGOED_WEBHOOKS_ALLOW_PRIVATE")]
        webhooks_allow_private: bool,
    },
}

/// A gate of an event, named (created when missing).
#[derive(Args, Debug)]
pub struct GateArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    #[arg(long)]
    event: i64,
    #[arg(long)]
    gate: String,
}

pub async fn run(command: AdminCommand) -> anyhow::Result<()> {
    let printed = match command {
        AdminCommand::CreateOrg { db, name, timezone } => {
            let pool = open(&db).await?;
            blocking(move || provisioning::create_org(&pool, &name, &timezone)).await?
        }
        AdminCommand::CreateUser {
            db,
            org,
            email,
            name,
            password,
            role,
            events,
        } => {
            let pool = open(&db).await?;
            let name = name.unwrap_or_else(|| email.clone());
            blocking(move || provisioning::create_user(&pool, org, &email, &name, &password, &role, &events)).await?
        }
        AdminCommand::CreateDevice {
            at, pairing_link: true, ..
        } => {
            let pool = open(&at.db).await?;
            blocking(move || voelgoed::scanner::pairing_link_command(&pool, at.event, &at.gate)).await?
        }
        AdminCommand::CreateDevice { at, name, .. } => {
            let pool = open(&at.db).await?;
            blocking(move || provisioning::create_device_command(&pool, at.event, &at.gate, name.as_deref())).await?
        }
        AdminCommand::RevokeDevice { db, device } => {
            let pool = open(&db).await?;
            blocking(move || provisioning::revoke_device(&pool, device)).await?
        }
        AdminCommand::GateTicketTypes { at, ticket_types } => {
            let pool = open(&at.db).await?;
            blocking(move || provisioning::set_gate_ticket_types(&pool, at.event, &at.gate, &ticket_types)).await?
        }
        AdminCommand::EntryPolicy { db, event, policy } => {
            let pool = open(&db).await?;
            blocking(move || voelgoed::monitor::entry_policy_command(&pool, event, &policy)).await?
        }
        AdminCommand::CreateZone {
            db,
            event,
            name,
            capacity,
            when_full,
        } => {
            let pool = open(&db).await?;
            blocking(move || voelgoed::zones::create_zone_command(&pool, event, &name, capacity, &when_full)).await?
        }
        AdminCommand::GatePassage { at, from, to } => {
            let pool = open(&at.db).await?;
            blocking(move || voelgoed::zones::gate_passage_command(&pool, at.event, &at.gate, &from, &to)).await?
        }
        AdminCommand::ResetTwoFactor { db, user } => {
            let pool = open(&db).await?;
            blocking(move || voelgoed::account::reset_two_factor_command(&pool, user)).await?
        }
        AdminCommand::CreateWebhook {
            db,
            org,
            url,
            events,
            webhooks_allow_private,
        } => {
            let pool = open(&db).await?;
            voelgoed::webhooks::create_webhook_command(&pool, org, &url, &events, webhooks_allow_private).await?
        }
    };
    println!("{printed}");
    Ok(())
}
