import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  TASKS,
  WRITES_IDX_MAP,
  getCheckpointId,
  maxChannelVersion,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import type { Cluster, Redis } from 'ioredis';
import { handoverOf } from './read-handover';
import { EMPTY_TYPE, frame, orderedWrites, typedBody, writeRecord, type StoredWrite } from './codec';
import { CheckpointKeys, blobField, writeField } from './keys';
import { CheckpointScripts, type Keep, type StoredCheckpoint } from './scripts';
import { FastJsonPlusSerializer } from './serde';
import { execOrThrow, matchesFilter, optionalString, type MetadataFilter } from './support';

export interface RedisSaverOptions {
  /** Prepended to every key the saver writes, e.g. `auxilia:checkpoints:`. Default `''`. */
  keyPrefix?: string;
  /**
   * Defaults to `FastJsonPlusSerializer`: LangGraph's `JsonPlusSerializer` format, with messages read back
   * without LangChain's `load()`, and a thread's messages not serialized again at every checkpoint.
   */
  serde?: SerializerProtocol;
  /**
   * `'all'` (default) keeps every checkpoint, as LangGraph's own savers do: history, time travel, forks.
   * `'latest'` keeps one checkpoint per thread and namespace: each put deletes the ones before it, their
   * writes and the channel values only they held. A thread then holds its state once, instead of every
   * step's copy of it (which grows with the square of a conversation's length); `getTuple` of an earlier
   * checkpoint id and `list()` find only the latest.
   */
  keep?: Keep;
}

/** Ids come from `list()` in pages, so one `list({ limit: 1 })` does not read a whole thread. */
const PAGE_SIZE = 100;
/** Reads of a namespace's latest checkpoint before `prune` leaves it: each retry follows a put. */
const PRUNE_ATTEMPTS = 10;
/** Keys per DEL, so deleting a long thread does not build one enormous command. */
const DELETE_BATCH = 500;

const MISSING_THREAD_ID =
  'The passed RunnableConfig is missing a required "thread_id" field in its "configurable" property.';

/**
 * LangGraph checkpointer for plain Redis (no RedisJSON, no RediSearch). Channel values are stored once
 * per (channel, version) and shared by the checkpoints that still hold that version, so a checkpoint
 * costs the channels that changed in its step, not the whole state.
 */
export class RedisSaver extends BaseCheckpointSaver {
  private readonly keys: CheckpointKeys;
  private readonly scripts: CheckpointScripts;
  private readonly keep: Keep;

  constructor(
    private readonly client: Redis | Cluster,
    options: RedisSaverOptions = {},
  ) {
    super(options.serde ?? new FastJsonPlusSerializer());
    this.keys = new CheckpointKeys(options.keyPrefix ?? '');
    this.scripts = new CheckpointScripts(client);
    this.keep = options.keep ?? 'all';
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = optionalString(config.configurable?.thread_id, 'thread_id');
    if (threadId === undefined) return undefined;
    const ns = optionalString(config.configurable?.checkpoint_ns, 'checkpoint_ns') ?? '';
    const requested = getCheckpointId(config);
    const handedOver = handoverOf(config)?.take(threadId, ns, requested);
    if (handedOver) return handedOver.tuple;
    return this.loadTuple(threadId, ns, requested || undefined);
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { before, filter } = options;
    let remaining = options.limit;
    if (remaining !== undefined && remaining <= 0) return;
    const threadId = optionalString(config.configurable?.thread_id, 'thread_id');
    const ns = optionalString(config.configurable?.checkpoint_ns, 'checkpoint_ns');
    const onlyId = optionalString(config.configurable?.checkpoint_id, 'checkpoint_id') || undefined;
    const beforeId = optionalString(before?.configurable?.checkpoint_id, 'checkpoint_id') || undefined;

    const threadIds =
      threadId !== undefined ? [threadId] : (await this.client.smembers(this.keys.threads())).sort();
    for (const thread of threadIds) {
      const namespaces =
        ns !== undefined ? [ns] : (await this.client.smembers(this.keys.namespaces(thread))).sort();
      for (const namespace of namespaces) {
        const pages = this.pages(thread, namespace, { onlyId, beforeId, filter, limit: remaining });
        for await (const page of pages) {
          for (const tuple of page) {
            yield tuple;
            if (remaining !== undefined && --remaining <= 0) return;
          }
        }
      }
    }
  }

  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const threadId = optionalString(config.configurable?.thread_id, 'thread_id');
    if (threadId === undefined) throw new Error(`Failed to put checkpoint. ${MISSING_THREAD_ID}`);
    const ns = optionalString(config.configurable?.checkpoint_ns, 'checkpoint_ns') ?? '';
    const parentId = optionalString(config.configurable?.checkpoint_id, 'checkpoint_id');
    const { channel_values: values, ...withoutValues } = checkpoint;

    const [[checkpointType, checkpointBytes], [metadataType, metadataBytes], blobs] = await Promise.all([
      this.serde.dumpsTyped(withoutValues),
      this.serde.dumpsTyped(metadata),
      this.dumpBlobs(values, newVersions),
    ]);
    const fields: Record<string, Buffer | string> = {
      checkpoint: frame(checkpointType, checkpointBytes),
      metadata: frame(metadataType, metadataBytes),
    };
    if (parentId) fields.parent = parentId;
    // What a read fetches with the checkpoint, in the same script, and what 'latest' keeps.
    fields.blobs = blobList(checkpoint.channel_versions);

    const k = this.keys;
    // Outside the script: the registry lives in another Cluster slot than the thread's keys. Sent
    // together with it, not before: one round trip.
    const registered = this.client.sadd(k.threads(), threadId);
    const written = this.scripts.put(
      [
        k.namespaces(threadId),
        k.index(threadId, ns),
        k.checkpoint(threadId, ns, checkpoint.id),
        k.blobs(threadId, ns),
        k.registry(threadId),
        k.writes(threadId, ns, checkpoint.id),
      ],
      { ns, checkpointId: checkpoint.id, keep: this.keep, ...this.prefixes(threadId, ns) },
      fields,
      blobs,
    );
    await Promise.all([registered, written]);
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  async putWrites(
    config: RunnableConfig,
    writes: PendingWrite[],
    taskId: string,
    taskPath?: string,
  ): Promise<void> {
    const threadId = optionalString(config.configurable?.thread_id, 'thread_id');
    if (threadId === undefined) throw new Error(`Failed to put writes. ${MISSING_THREAD_ID}`);
    const checkpointId = optionalString(config.configurable?.checkpoint_id, 'checkpoint_id');
    if (!checkpointId) {
      throw new Error(
        'Failed to put writes. The passed RunnableConfig is missing a required "checkpoint_id" field.',
      );
    }
    const ns = optionalString(config.configurable?.checkpoint_ns, 'checkpoint_ns') ?? '';
    if (writes.length === 0) return;

    const entries = await Promise.all(
      writes.map(async ([channel, value], idx) => {
        const [type, bytes] = await this.serde.dumpsTyped(value);
        // Errors, interrupts and the like get fixed negative slots, so a retry replaces them.
        const slot = WRITES_IDX_MAP[channel] ?? idx;
        return {
          field: writeField(taskId, slot),
          record: writeRecord(channel, type, taskPath ?? '', bytes),
          slot,
        };
      }),
    );
    // A regular write is kept as first stored, so a task replayed after a crash cannot change it.
    await this.scripts.putWrites(
      [this.keys.writes(threadId, ns, checkpointId), this.keys.registry(threadId)],
      entries.map(({ field, record, slot }) => ({ replace: slot < 0, field, record })),
    );
  }

  /** Every thread with checkpoints, each once, read from the registry in pages (which may repeat an id). */
  async *threadIds(): AsyncGenerator<string> {
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, ids] = await this.client.sscan(this.keys.threads(), cursor, 'COUNT', PAGE_SIZE);
      for (const id of ids) {
        if (seen.has(id)) continue;
        seen.add(id);
        yield id;
      }
      cursor = next;
    } while (cursor !== '0');
  }

  /**
   * Removes every checkpoint of the thread but the latest of each namespace, with their writes and the
   * channel values only they held: what `keep: 'latest'` does at each put, for a thread stored with
   * `'all'`. A checkpoint put meanwhile is never lost: a namespace whose latest checkpoint changed while
   * it was read is read again. Returns how many checkpoints it removed.
   */
  async prune(threadId: string): Promise<number> {
    let removed = 0;
    for (const ns of await this.client.smembers(this.keys.namespaces(threadId))) {
      for (let attempt = 0; attempt < PRUNE_ATTEMPTS; attempt++) {
        const [latest] = await this.client.zrevrangebylex(
          this.keys.index(threadId, ns),
          '+',
          '-',
          'LIMIT',
          0,
          1,
        );
        if (!latest) break;
        const stored = await this.client.hgetBuffer(this.keys.checkpoint(threadId, ns, latest), 'checkpoint');
        if (!stored) continue;
        const { channel_versions: versions }: Pick<Checkpoint, 'channel_versions'> = await this.load(stored);
        const pruned = await this.scripts.prune(
          [this.keys.index(threadId, ns), this.keys.blobs(threadId, ns), this.keys.registry(threadId)],
          { checkpointId: latest, blobList: blobList(versions), ...this.prefixes(threadId, ns) },
        );
        if (pruned !== undefined) {
          removed += pruned;
          break;
        }
      }
    }
    return removed;
  }

  /** Every key the thread has in Redis, each once: what its registry lists, the registry and its namespaces. */
  async threadKeys(threadId: string): Promise<string[]> {
    const registry = this.keys.registry(threadId);
    const listed = await this.client.smembers(registry);
    return [...new Set([...listed, registry, this.keys.namespaces(threadId)])];
  }

  async deleteThread(threadId: string): Promise<void> {
    const keys = await this.threadKeys(threadId);
    const tx = this.client.multi();
    for (let i = 0; i < keys.length; i += DELETE_BATCH) tx.del(...keys.slice(i, i + DELETE_BATCH));
    await execOrThrow(tx);
    await this.client.srem(this.keys.threads(), threadId);
  }

  private async *pages(
    threadId: string,
    ns: string,
    opts: { onlyId?: string; beforeId?: string; filter?: MetadataFilter; limit?: number },
  ): AsyncGenerator<CheckpointTuple[]> {
    const { filter } = opts;
    const loadOne = async (id: string) =>
      filter && !(await this.matches(threadId, ns, id, filter))
        ? undefined
        : this.loadTuple(threadId, ns, id);
    const load = async (ids: string[]) =>
      (await Promise.all(ids.map(loadOne))).filter((tuple): tuple is CheckpointTuple => tuple !== undefined);
    if (opts.onlyId !== undefined) {
      if (opts.beforeId === undefined || opts.onlyId < opts.beforeId) yield await load([opts.onlyId]);
      return;
    }
    // Without a filter every id read is yielded, so reading more than the limit would be wasted.
    const pageSize =
      opts.filter === undefined && opts.limit !== undefined ? Math.min(opts.limit, PAGE_SIZE) : PAGE_SIZE;
    const max = opts.beforeId === undefined ? '+' : `(${opts.beforeId}`;
    for (let offset = 0; ; offset += pageSize) {
      const ids = await this.client.zrevrangebylex(
        this.keys.index(threadId, ns),
        max,
        '-',
        'LIMIT',
        offset,
        pageSize,
      );
      if (ids.length > 0) yield await load(ids);
      if (ids.length < pageSize) return;
    }
  }

  /** Whether the checkpoint's metadata matches: read alone, so a checkpoint rejected is not read whole. */
  private async matches(threadId: string, ns: string, checkpointId: string, filter: MetadataFilter) {
    const metadata = await this.client.hgetBuffer(
      this.keys.checkpoint(threadId, ns, checkpointId),
      'metadata',
    );
    return metadata !== null && matchesFilter(await this.load(metadata), filter);
  }

  /** The checkpoint with this id, or the namespace's latest when the id is undefined. */
  private async loadTuple(
    threadId: string,
    ns: string,
    checkpointId: string | undefined,
  ): Promise<CheckpointTuple | undefined> {
    const stored = await this.scripts.read([this.keys.index(threadId, ns), this.keys.blobs(threadId, ns)], {
      ...this.prefixes(threadId, ns),
      checkpointId,
    });
    if (!stored?.hash.checkpoint || !stored.hash.metadata) return undefined;
    const { id, hash } = stored;
    const metadata: CheckpointMetadata = await this.load(hash.metadata);

    const withoutValues: Omit<Checkpoint, 'channel_values'> = await this.load(hash.checkpoint);
    const channelValues = await this.channelValues(threadId, ns, withoutValues.channel_versions, stored);
    const checkpoint: Checkpoint = { ...withoutValues, channel_values: channelValues };
    const parentId = hash.parent?.toString('utf8');
    if (checkpoint.v < 4 && parentId !== undefined) {
      await this.migratePendingSends(checkpoint, threadId, ns, parentId);
    }

    const tuple: CheckpointTuple = {
      config: { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: id } },
      checkpoint,
      metadata,
      pendingWrites: await Promise.all(
        orderedWrites(stored.writes).map(async (w): Promise<CheckpointPendingWrite> => [
          w.taskId,
          w.channel,
          await this.serde.loadsTyped(w.type, w.body),
        ]),
      ),
    };
    if (parentId !== undefined) {
      tuple.parentConfig = {
        configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: parentId },
      };
    }
    return tuple;
  }

  /** Key prefixes of a namespace's checkpoints and writes: the scripts append a checkpoint's id. */
  private prefixes(threadId: string, ns: string) {
    return {
      checkpointPrefix: this.keys.checkpoint(threadId, ns, ''),
      writesPrefix: this.keys.writes(threadId, ns, ''),
    };
  }

  /**
   * Checkpoints older than format v4 kept pending sends in `pending_sends`; they now live in the TASKS
   * channel, rebuilt from the TASKS writes stored against the parent checkpoint.
   */
  private async migratePendingSends(checkpoint: Checkpoint, threadId: string, ns: string, parentId: string) {
    const writes = await this.readWrites(threadId, ns, parentId);
    const sends = await Promise.all(
      writes.filter((w) => w.channel === TASKS).map((w) => this.serde.loadsTyped(w.type, w.body)),
    );
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_values[TASKS] = sends;
    checkpoint.channel_versions[TASKS] =
      versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }

  private async dumpBlobs(values: Record<string, unknown>, versions: ChannelVersions) {
    const entries = await Promise.all(
      Object.entries(versions).map(async ([channel, version]) => {
        const [type, bytes] = !(channel in values)
          ? [EMPTY_TYPE, new Uint8Array()]
          : this.serde instanceof FastJsonPlusSerializer
            ? await this.serde.dumpsChannelValue(values[channel])
            : await this.serde.dumpsTyped(values[channel]);
        return [blobField(channel, version), frame(type, bytes)] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  /**
   * The checkpoint's channel values: from the blobs read with it, or, for a checkpoint stored without
   * its list of blob fields, read now.
   */
  private async channelValues(
    threadId: string,
    ns: string,
    versions: ChannelVersions,
    stored: StoredCheckpoint,
  ): Promise<Record<string, unknown>> {
    const channels = Object.entries(versions);
    if (channels.length === 0) return {};
    const fields = channels.map(([channel, version]) => blobField(channel, version));
    const read = stored.blobs;
    const blobs = read
      ? fields.map((field) => read.get(field) ?? null)
      : await this.client.hmgetBuffer(this.keys.blobs(threadId, ns), ...fields);
    const entries = await Promise.all(
      channels.map(async ([channel], i): Promise<[string, unknown] | undefined> => {
        const blob = blobs[i];
        if (!blob) return undefined;
        const { type, body } = typedBody(blob);
        if (type === EMPTY_TYPE) return undefined;
        const value: unknown =
          this.serde instanceof FastJsonPlusSerializer
            ? await this.serde.loadsChannelValue(type, body)
            : await this.serde.loadsTyped(type, body);
        return [channel, value];
      }),
    );
    return Object.fromEntries(entries.filter((entry) => entry !== undefined));
  }

  private async readWrites(threadId: string, ns: string, checkpointId: string): Promise<StoredWrite[]> {
    return orderedWrites(await this.client.hgetallBuffer(this.keys.writes(threadId, ns, checkpointId)));
  }

  private load(stored: Buffer) {
    const { type, body } = typedBody(stored);
    return this.serde.loadsTyped(type, body);
  }
}

/** The JSON list of the blob fields a checkpoint with these channel versions refers to. */
function blobList(versions: ChannelVersions): string {
  return JSON.stringify(Object.entries(versions).map(([channel, version]) => blobField(channel, version)));
}
