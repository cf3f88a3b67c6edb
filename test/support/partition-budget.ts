/**
 * The per-partition-key throughput DynamoDB enforces (on-demand and provisioned alike: at most
 * 1,000 write units and 3,000 read units a second on one partition key value), as token buckets,
 * with a ledger of what each key was billed and how often it was throttled.
 *
 * A bucket refills continuously and holds at most `burstSeconds` of its rate: DynamoDB keeps up to
 * 300 s of unused capacity as burst, which would let a short test never meet the limit at all.
 */

export interface PartitionLimits {
  writeUnitsPerSecond: number;
  readUnitsPerSecond: number;
  burstSeconds: number;
}

/** DynamoDB's per-partition-key limits, divided by `scale` so that a test on one machine meets them. */
export function scaledLimits(scale: number): PartitionLimits {
  return { writeUnitsPerSecond: 1000 / scale, readUnitsPerSecond: 3000 / scale, burstSeconds: 1 };
}

export type UnitKind = 'write' | 'read';

/** Units of one kind on one partition key of one table (negative: given back). */
export interface Charge {
  table: string;
  pk: string;
  kind: UnitKind;
  units: number;
}

export interface PartitionUsage {
  table: string;
  pk: string;
  writeUnits: number;
  readUnits: number;
  /** Requests (in a batch: items) refused because this key's bucket could not pay its share. */
  throttled: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class PartitionBudget {
  private readonly buckets = new Map<string, Bucket>();
  private readonly ledger = new Map<string, PartitionUsage>();

  constructor(private readonly limits: PartitionLimits) {}

  /**
   * Takes every charge or none: returns the charges whose key could not pay (then nothing is
   * taken, and each such key counts one throttled request). Charges of one key are paid together.
   */
  take(charges: Charge[]): Charge[] {
    const due = new Map<string, { charge: Charge; units: number }>();
    for (const charge of charges) {
      const id = bucketId(charge);
      due.set(id, { charge, units: (due.get(id)?.units ?? 0) + charge.units });
    }
    const short = [...due].filter(([id, { charge, units }]) => !this.canPay(id, charge.kind, units));
    if (short.length > 0) {
      for (const [, { charge }] of short) this.usage(charge).throttled++;
      const shortIds = new Set(short.map(([id]) => id));
      return charges.filter((c) => shortIds.has(bucketId(c)));
    }
    this.settle(charges);
    return [];
  }

  /**
   * Charges (or, negative, refunds) what is known only once the engine answered, whatever the
   * bucket holds: DynamoDB too learns a Query's size, or an updated item's, by doing it.
   */
  settle(charges: Charge[]): void {
    for (const charge of charges) {
      const bucket = this.bucket(bucketId(charge), charge.kind);
      bucket.tokens -= charge.units;
      const usage = this.usage(charge);
      if (charge.kind === 'write') usage.writeUnits += charge.units;
      else usage.readUnits += charge.units;
    }
  }

  /** What each key was billed and how often it was throttled, since the start. */
  partitions(): PartitionUsage[] {
    return [...this.ledger.values()].map((u) => ({ ...u }));
  }

  /** A request larger than the whole burst passes when the bucket is full, and leaves it in debt. */
  private canPay(id: string, kind: UnitKind, units: number): boolean {
    const { tokens } = this.bucket(id, kind);
    return tokens >= Math.min(units, this.capacity(kind));
  }

  private rate(kind: UnitKind): number {
    return kind === 'write' ? this.limits.writeUnitsPerSecond : this.limits.readUnitsPerSecond;
  }

  private capacity(kind: UnitKind): number {
    return this.rate(kind) * this.limits.burstSeconds;
  }

  private bucket(id: string, kind: UnitKind): Bucket {
    const now = performance.now() / 1000;
    const bucket = this.buckets.get(id) ?? { tokens: this.capacity(kind), at: now };
    bucket.tokens = Math.min(this.capacity(kind), bucket.tokens + (now - bucket.at) * this.rate(kind));
    bucket.at = now;
    this.buckets.set(id, bucket);
    return bucket;
  }

  private usage(charge: Charge): PartitionUsage {
    const id = `${charge.table}\u0000${charge.pk}`;
    const usage = this.ledger.get(id) ?? { table: charge.table, pk: charge.pk, writeUnits: 0, readUnits: 0, throttled: 0 };
    this.ledger.set(id, usage);
    return usage;
  }
}

function bucketId(charge: Charge): string {
  return `${charge.kind}\u0000${charge.table}\u0000${charge.pk}`;
}
