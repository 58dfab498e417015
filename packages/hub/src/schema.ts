/**
 * The hub's tables (migration namespace `hub`). Repositories own releases, releases own files; a file
 * row names a blob by CID and is only written after the blob is durably on disk. Search reads a
 * stored tsvector built by `hub_search_document` (owner and name weigh most, then task and tags, then
 * the description) through a GIN index.
 */
import { sql, type ColumnType, type Generated, type Migration } from '@verity/db'
import type { ModelDescription } from '@verity/onnx'

export type Visibility = 'public' | 'private'

export type HubTables = {
  hub_repositories: {
    id: Generated<number>
    owner: string
    name: string
    description: Generated<string>
    task: string | null
    license: string | null
    tags: Generated<string[]>
    visibility: Generated<Visibility>
    downloads: Generated<number>
    created_at: Generated<Date>
    updated_at: Generated<Date>
    search: ColumnType<string, never, never>
    name_search: ColumnType<string, never, never>
  }
  hub_releases: {
    id: Generated<number>
    repository_id: number
    version: string
    major: number
    minor: number
    notes: Generated<string>
    created_at: Generated<Date>
    published_at: Date | null
  }
  hub_files: {
    release_id: number
    path: string
    cid: string
    size: number
    media_type: string
    onnx: ColumnType<ModelDescription | null, string | null, string | null>
    created_at: Generated<Date>
  }
}

export const hubMigrations: Migration[] = [
  {
    name: '001-repositories-releases-files',
    up: async (db) => {
      // array_to_string is only STABLE in PostgreSQL, so a generated column cannot call it directly;
      // for text[] its result never changes, which makes this wrapper truly immutable.
      await sql`create function hub_search_document(owner text, name text, task text, tags text[], description text) returns tsvector
        language sql immutable parallel safe as $$
          select setweight(to_tsvector('simple'::regconfig, regexp_replace(lower(owner || ' ' || name), '[[:space:][:punct:]]+', ' ', 'g')), 'A')
              || setweight(to_tsvector('simple'::regconfig, regexp_replace(lower(coalesce(task, '') || ' ' || array_to_string(tags, ' ')), '[[:space:][:punct:]]+', ' ', 'g')), 'B')
              || setweight(to_tsvector('simple'::regconfig, regexp_replace(lower(left(description, 20000)), '[[:space:][:punct:]]+', ' ', 'g')), 'C')
        $$`.execute(db)
      await sql`create table hub_repositories (
        id bigserial primary key,
        owner text not null,
        name text not null,
        description text not null default '',
        task text,
        license text,
        tags text[] not null default '{}',
        visibility text not null default 'public' check (visibility in ('public', 'private')),
        downloads bigint not null default 0,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        search tsvector generated always as (hub_search_document(owner, name, task, tags, description)) stored,
        name_search tsvector generated always as (to_tsvector('simple'::regconfig, regexp_replace(lower(owner || ' ' || name), '[[:space:][:punct:]]+', ' ', 'g'))) stored,
        unique (owner, name)
      )`.execute(db)
      await sql`create index hub_repositories_search on hub_repositories using gin (search) with (fastupdate = off)`.execute(db)
      // fastupdate = off: with the default pending list, every search after a bulk import scans the
      // unmerged entries until a vacuum merges them, and PGlite runs no autovacuum. Writes are rare.
      // name_search is its own column (not a weight filter on search) so the planner has statistics for name-only matches.
      await sql`create index hub_repositories_name_search on hub_repositories using gin (name_search) with (fastupdate = off)`.execute(db)
      await sql`create index hub_repositories_tags on hub_repositories using gin (tags) with (fastupdate = off)`.execute(db)
      await sql`create index hub_repositories_task on hub_repositories (task, updated_at desc, id desc)`.execute(db)
      await sql`create index hub_repositories_updated on hub_repositories (updated_at desc, id desc)`.execute(db)
      await sql`create index hub_repositories_downloads on hub_repositories (downloads desc, id desc)`.execute(db)
      await sql`create table hub_releases (
        id bigserial primary key,
        repository_id bigint not null references hub_repositories (id) on delete cascade,
        version text not null,
        major integer not null,
        minor integer not null,
        notes text not null default '',
        created_at timestamptz not null default now(),
        published_at timestamptz,
        unique (repository_id, major, minor)
      )`.execute(db)
      await sql`create table hub_files (
        release_id bigint not null references hub_releases (id) on delete cascade,
        path text not null,
        cid text not null,
        size bigint not null,
        media_type text not null,
        onnx jsonb,
        created_at timestamptz not null default now(),
        primary key (release_id, path)
      )`.execute(db)
      await sql`create index hub_files_cid on hub_files (cid)`.execute(db)
    },
  },
]
