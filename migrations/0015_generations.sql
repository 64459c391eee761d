-- Text to part (issue 14): generation credits, conversations and generations.

-- Credits: seed 002 gives 2 free generations at sign-up ("Start with 2 free
-- generations"); existing accounts get them too through the default. The
-- balance is the row every debit locks, so a debit is one conditional update
-- (`generation_credits > 0`) and 20 concurrent requests with 5 credits start
-- exactly 5.
alter table accounts
    add column generation_credits integer not null default 2
    check (generation_credits >= 0);

-- The history shown by GET /v1/credits: one row per change of the balance.
-- A refund is unique per generation, so a failed generation is refunded once
-- however many times its failure is recorded.
create table credit_transactions (
    id             bigserial primary key,
    account_id     text not null references accounts (id),
    delta          integer not null,
    reason         text not null check (reason in ('signup_grant', 'generation', 'refund', 'purchase')),
    generation_id  text,
    balance_after  integer not null,
    created_at     timestamptz not null default now()
);
create index credit_transactions_account on credit_transactions (account_id, id desc);
create unique index credit_transactions_once on credit_transactions (generation_id, reason)
    where generation_id is not null;

insert into credit_transactions (account_id, delta, reason, balance_after)
select id, 2, 'signup_grant', 2 from accounts;

create function farm_signup_credit_grant() returns trigger language plpgsql as $$
begin
  insert into credit_transactions (account_id, delta, reason, balance_after)
  values (new.id, new.generation_credits, 'signup_grant', new.generation_credits);
  return new;
end $$;
create trigger accounts_signup_credit_grant after insert on accounts
    for each row execute function farm_signup_credit_grant();

-- Keys that held every scope before `generate` and `export` existed keep
-- holding every scope.
update api_keys set scopes = scopes || ' generate export'
where scopes like '%files:read%' and scopes like '%files:write%'
  and scopes like '%quotes:read%' and scopes like '%quotes:write%'
  and scopes like '%orders:read%' and scopes like '%orders:write%'
  and scopes like '%keys:manage%' and scopes like '%usage:read%';

create table conversations (
    id          text primary key,               -- conv_<32 hex>
    account_id  text not null references accounts (id),
    created_at  timestamptz not null default now()
);

-- One generation job: processing (stage parsing -> modelling -> validating
-- -> exporting) -> completed | failed. A conversation's generations are its
-- turns, numbered by version; each keeps its own exports.
create table generations (
    id               text primary key,          -- gen_<32 hex>
    account_id       text not null references accounts (id),
    key_id           text not null,
    -- The key's mode: the part's file lives in the same mode (files.livemode).
    livemode         boolean not null,
    conversation_id  text references conversations (id),
    version          integer not null default 1,
    prompt           text not null,
    designer         text not null default 'offline',
    status           text not null default 'processing'
                     check (status in ('processing', 'completed', 'failed')),
    stage            text check (stage in ('parsing', 'modelling', 'validating', 'exporting')),
    part_spec        jsonb,
    summary          text,
    assumptions      jsonb,
    dimensions_mm    jsonb,
    file_id          text references files (id),
    -- Object keys of the exports: `<prefix>.step`, `.stl`, `.3mf`, `.glb`.
    export_prefix    text,
    error_code       text,
    error_message    text,
    error_parameter  text,
    created_at       timestamptz not null default now(),
    completed_at     timestamptz,
    updated_at       timestamptz not null default now(),
    unique (conversation_id, version)
);
create index generations_account on generations (account_id, created_at desc);
create index generations_key_month on generations (key_id, created_at);
