-- Proof of control of an email before `connect` hands out a key for an
-- existing account, and the outbox its mails leave through.
-- See shared/domain/src/verification.rs for how codes are derived and hashed.

-- One row per code sent. Only the newest row of an email is usable; the code
-- itself is never stored (code_hash is a keyed HMAC, not a bare SHA-256).
create table email_verifications (
    id            text primary key,               -- ver_<32 hex>
    account_id    text not null references accounts(id),
    email         text not null,                  -- as normalised by connect
    code_hash     text not null,                  -- hex HMAC-SHA256, see verification.rs
    mode          text not null check (mode in ('live', 'test')),  -- the key to issue
    attempts      integer not null default 0,     -- counted before each decision
    expires_at    timestamptz not null,
    consumed_at   timestamptz,                    -- set once: codes are single-use
    created_at    timestamptz not null default now()
);
create index email_verifications_newest on email_verifications (email, created_at desc, id desc);

-- Mails to send, written in the same transaction as what they announce, so
-- a mail is never lost when the instance dies before sending it. `kind` says
-- how the mailer renders it from `ref_id` (a `verification_code` mail is
-- rendered from its verification row, so no code is stored here either).
-- Sending is idempotent: a row with sent_at set is never sent again.
create table mail_outbox (
    id             text primary key,              -- mail_<32 hex>
    kind           text not null check (kind in ('verification_code')),
    ref_id         text not null,
    to_address     text not null,
    attempts       integer not null default 0,
    claimed_until  timestamptz,                   -- a sender's lease; another waits for it
    last_error     text,
    sent_at        timestamptz,
    created_at     timestamptz not null default now()
);
create index mail_outbox_unsent on mail_outbox (created_at) where sent_at is null;
