// The per-pool queue: dispatch order, positions, cancel, and what a full queue does (DESIGN 3, 7).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { OrchError } from "../../src/common/errors.js";
import { type QueuePolicy, TaskQueue } from "../../src/control/task-queue.js";
import type { Priority } from "../../src/control/types.js";

interface Item {
  taskId: string;
  priority: Priority;
}

const i = (n: number): Item => ({ taskId: `i${n}`, priority: "interactive" });
const b = (n: number): Item => ({ taskId: `b${n}`, priority: "batch" });
const ids = (items: readonly Item[]) => items.map((x) => x.taskId);

function queueOf(policy: QueuePolicy, capacity: number, ...items: Item[]) {
  const q = new TaskQueue<Item>(capacity, policy);
  for (const item of items) assert.equal(q.enqueue(item).admitted, true);
  return q;
}

describe("TaskQueue dispatch order (SPEC 6.1)", () => {
  test("interactive dequeues before batch; FIFO within each class", () => {
    const q = queueOf("reject", 8, b(1), i(1), b(2), i(2));
    const order = [q.dequeue(), q.dequeue(), q.dequeue(), q.dequeue(), q.dequeue()];
    assert.deepEqual(
      order.map((x) => x?.taskId),
      ["i1", "i2", "b1", "b2", undefined],
    );
  });

  test("position is 0-based in dispatch order across priorities (DESIGN 7)", () => {
    const q = queueOf("reject", 8, b(1), i(1), b(2), i(2));
    assert.deepEqual(
      ["i1", "i2", "b1", "b2", "nope"].map((id) => q.position(id)),
      [0, 1, 2, 3, undefined],
    );
    q.enqueue(i(3));
    assert.equal(q.position("b1"), 3, "a later interactive task moves batch tasks back");
  });

  test("items() lists dispatch order; counts() is the per-priority snapshot", () => {
    const q = queueOf("reject", 8, b(1), i(1), b(2));
    assert.deepEqual(ids(q.items()), ["i1", "b1", "b2"]);
    assert.deepEqual(q.counts(), { interactive: 1, batch: 2 });
    assert.equal(q.peek()?.taskId, "i1");
    assert.equal(q.size, 3);
  });

  test("remove() cancels a queued task: it never dequeues and positions close up", () => {
    const q = queueOf("reject", 8, i(1), i(2), b(1));
    assert.equal(q.remove("i1")?.taskId, "i1");
    assert.equal(q.remove("i1"), undefined, "cancel is idempotent");
    assert.equal(q.position("b1"), 1);
    assert.deepEqual(ids(q.drainAll()), ["i2", "b1"]);
  });

  test("drainAll() hands back every task in dispatch order and empties the queue", () => {
    const q = queueOf("drop-lru", 4, b(1), i(1));
    assert.deepEqual(ids(q.drainAll()), ["i1", "b1"]);
    assert.equal(q.size, 0);
    assert.equal(q.dequeue(), undefined);
  });

  test("a task id already queued is refused with TASK_EXISTS", () => {
    const q = queueOf("reject", 4, i(1));
    assert.throws(
      () => q.enqueue({ taskId: "i1", priority: "batch" }),
      (e: unknown) => e instanceof OrchError && e.code === "TASK_EXISTS",
    );
    assert.equal(q.size, 1);
  });

  test("capacity must be a positive integer", () => {
    assert.throws(() => new TaskQueue<Item>(0, "reject"), RangeError);
    assert.equal(new TaskQueue<Item>(3, "reject").capacity, 3);
  });
});

describe("TaskQueue when full (DESIGN decision 3)", () => {
  test("reject refuses the new task and leaves the queue as it was", () => {
    const q = queueOf("reject", 2, b(1), i(1));
    assert.deepEqual(q.enqueue(i(2)), { admitted: false });
    assert.deepEqual(ids(q.items()), ["i1", "b1"]);
  });

  test("drop-lru admits the new task and evicts the oldest batch task, even if newer", () => {
    const q = queueOf("drop-lru", 3, i(1), b(1), b(2));
    const result = q.enqueue(i(2));
    assert.deepEqual(result, { admitted: true, evicted: b(1) });
    assert.deepEqual(ids(q.items()), ["i1", "i2", "b2"]);
  });

  test("drop-lru with no batch task evicts the oldest task overall", () => {
    const q = queueOf("drop-lru", 2, i(1), i(2));
    assert.deepEqual(q.enqueue(b(1)), { admitted: true, evicted: i(1) });
    assert.deepEqual(ids(q.items()), ["i2", "b1"]);
  });

  test("below capacity nothing is evicted", () => {
    const q = queueOf("drop-lru", 3, b(1));
    assert.deepEqual(q.enqueue(b(2)), { admitted: true });
  });
});

type Op =
  | { op: "enqueue"; priority: Priority }
  | { op: "dequeue" }
  | { op: "remove"; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("enqueue" as const),
    priority: fc.constantFrom<Priority>("interactive", "batch"),
  }),
  fc.record({ op: fc.constant("dequeue" as const) }),
  fc.record({ op: fc.constant("remove" as const), pick: fc.nat(20) }),
);

/** The reference: one list in arrival order, searched the slow obvious way. */
class Reference {
  arrivals: Item[] = [];
  constructor(
    readonly capacity: number,
    readonly policy: QueuePolicy,
  ) {}
  order(): Item[] {
    const cls = (p: Priority) => this.arrivals.filter((x) => x.priority === p);
    return [...cls("interactive"), ...cls("batch")];
  }
  take(item: Item | undefined): Item | undefined {
    if (item) this.arrivals = this.arrivals.filter((x) => x !== item);
    return item;
  }
  enqueue(item: Item): { admitted: boolean; evicted?: Item } {
    let evicted: Item | undefined;
    if (this.arrivals.length >= this.capacity) {
      if (this.policy === "reject") return { admitted: false };
      evicted = this.take(this.arrivals.find((x) => x.priority === "batch") ?? this.arrivals[0]);
    }
    this.arrivals.push(item);
    return evicted ? { admitted: true, evicted } : { admitted: true };
  }
}

describe("TaskQueue properties", () => {
  test("for any ops: interactive-first FIFO dispatch, exact eviction, size <= capacity", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom<QueuePolicy>("reject", "drop-lru"),
        fc.array(opArb, { maxLength: 60 }),
        (capacity, policy, ops) => {
          const q = new TaskQueue<Item>(capacity, policy);
          const ref = new Reference(capacity, policy);
          let next = 0;
          for (const o of ops) {
            if (o.op === "enqueue") {
              const item = { taskId: `t${next++}`, priority: o.priority };
              assert.deepEqual(q.enqueue(item), ref.enqueue(item));
            } else if (o.op === "dequeue") {
              assert.equal(q.dequeue(), ref.take(ref.order()[0]));
            } else {
              const id = `t${o.pick}`;
              const target = ref.arrivals.find((x) => x.taskId === id);
              assert.equal(q.remove(id), ref.take(target));
            }
            assert.ok(q.size <= capacity);
            assert.deepEqual(ids(q.items()), ids(ref.order()));
            for (const [index, item] of ref.order().entries()) {
              assert.equal(q.position(item.taskId), index);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
