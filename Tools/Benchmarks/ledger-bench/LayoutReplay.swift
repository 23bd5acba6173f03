import Foundation
import LedgerEvents

/// `--breakdown` for the append targets: the same LMDB writes the library does for our events
/// (record + ids + time + entity indexes, same keys and values, same flags), replayed by plain C
/// (keep `entityKeys(of:)` below in step with `EventLog.entityKeys(of:)`, which is internal)
/// from a file the bench writes. It separates what LMDB and the disk cost for our layout from
/// what the Swift layers add. The C source lives here as a string because a SwiftPM executable
/// target cannot hold C files; it is compiled with gcc -O3 next to the anchors.
enum LayoutReplay {
    static let source = #"""
    /* layout_replay.c - LogStore's write pattern in plain C (written by ledger-bench).
     * usage: layout_replay <envdir> <input> <B> <sync|nosync> <lookup|nolookup> <name> [dbs]
     *   dbs: comma list of log,ids,time,call,client,lead,department,agent (default: all) - which DBs get written
     * input: u64 N, then per event: u16 idlen, id, u32 vlen, value (13-byte header + payload),
     *        16-byte time key, u8 nkeys, then per key: u8 index (0 call, 1 client, 2 lead), u16 len, key.
     * Per batch of B: one write txn; per event: [mdb_get ids (pass 1 of LogStore.apply)],
     * put log (MDB_APPEND), put ids (MDB_NOOVERWRITE), put time (empty value), put entity (MDB_NODUPDATA).
     * Timed: first txn begin .. last commit; puts and commits are also timed separately. */
    #define _GNU_SOURCE
    #include <lmdb.h>
    #include <stdint.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <time.h>
    #include <sys/resource.h>
    #define DIE(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } while (0)
    #define CHK(x) do { int rc_ = (x); if (rc_) DIE("%s: %s", #x, mdb_strerror(rc_)); } while (0)
    static double now_s(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
    static double wchar(void) {  /* bytes passed to write syscalls by this process so far */
        FILE *f = fopen("/proc/self/io", "r"); char line[128]; double v = 0;
        if (!f) return 0;
        while (fgets(line, sizeof line, f)) if (!strncmp(line, "wchar:", 6)) v = atof(line + 6);
        fclose(f); return v;
    }
    static double cpu_s(void) {  /* user + system CPU time of this process */
        struct rusage u; getrusage(RUSAGE_SELF, &u);
        return u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec * 1e-6;
    }
    static int cmpd(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
    typedef struct { const unsigned char *id, *val, *tkey; uint32_t idlen, vlen; uint8_t nkeys; const unsigned char *keys; } ev_t;
    int main(int argc, char **argv) {
        if (argc < 7) DIE("usage: layout_replay <envdir> <input> <B> <sync|nosync> <lookup|nolookup> <name>");
        size_t B = strtoull(argv[3], 0, 10);
        int nosync = !strcmp(argv[4], "nosync"), lookup = !strcmp(argv[5], "lookup");
        const char *dbs = argc > 7 ? argv[7] : "log,ids,time,call,client,lead,department,agent";
        int w_ids = strstr(dbs, "ids") != NULL, w_time = strstr(dbs, "time") != NULL;
        int w_ent[5] = {strstr(dbs, "call") != NULL, strstr(dbs, "client") != NULL, strstr(dbs, "lead") != NULL,
                        strstr(dbs, "department") != NULL, strstr(dbs, "agent") != NULL};
        FILE *f = fopen(argv[2], "rb");
        if (!f) DIE("cannot open %s", argv[2]);
        fseek(f, 0, SEEK_END); long sz = ftell(f); fseek(f, 0, SEEK_SET);
        unsigned char *buf = malloc(sz);
        if (fread(buf, 1, sz, f) != (size_t)sz) DIE("short read");
        fclose(f);
        uint64_t N; memcpy(&N, buf, 8);
        ev_t *ev = malloc(sizeof(ev_t) * N);
        size_t o = 8;
        for (uint64_t i = 0; i < N; i++) {
            uint16_t l16; uint32_t l32;
            memcpy(&l16, buf + o, 2); o += 2; ev[i].idlen = l16; ev[i].id = buf + o; o += l16;
            memcpy(&l32, buf + o, 4); o += 4; ev[i].vlen = l32; ev[i].val = buf + o; o += l32;
            ev[i].tkey = buf + o; o += 16;
            ev[i].nkeys = buf[o++]; ev[i].keys = buf + o;
            for (int k = 0; k < ev[i].nkeys; k++) { o += 1; memcpy(&l16, buf + o, 2); o += 2 + l16; }
        }
        MDB_env *env; MDB_dbi log, ids, tim, ent[5]; MDB_txn *t;
        CHK(mdb_env_create(&env));
        CHK(mdb_env_set_mapsize(env, (size_t)8 << 30));
        CHK(mdb_env_set_maxdbs(env, 13));
        CHK(mdb_env_open(env, argv[1], nosync ? MDB_NOSYNC : 0, 0644));
        CHK(mdb_txn_begin(env, NULL, 0, &t));
        CHK(mdb_dbi_open(t, "log", MDB_CREATE, &log));
        CHK(mdb_dbi_open(t, "ids", MDB_CREATE, &ids));
        CHK(mdb_dbi_open(t, "time", MDB_CREATE, &tim));
        CHK(mdb_dbi_open(t, "entity.call", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &ent[0]));
        CHK(mdb_dbi_open(t, "entity.client", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &ent[1]));
        CHK(mdb_dbi_open(t, "entity.lead", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &ent[2]));
        CHK(mdb_dbi_open(t, "entity.department", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &ent[3]));
        CHK(mdb_dbi_open(t, "entity.agent", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &ent[4]));
        CHK(mdb_txn_commit(t));
        size_t nc = (N + B - 1) / B;
        double *lat = malloc(sizeof(double) * nc), puts = 0, commits = 0;
        unsigned char pk[8], tk[16];
        double w0 = wchar(), c0 = cpu_s();
        double t0 = now_s();
        size_t c = 0;
        for (uint64_t i = 0; i < N; c++) {
            double a = now_s();
            CHK(mdb_txn_begin(env, NULL, 0, &t));
            uint64_t end = i + B < N ? i + B : N;
            if (lookup && w_ids) for (uint64_t j = i; j < end; j++) {
                MDB_val k = {ev[j].idlen, (void *)ev[j].id}, v;
                int rc = mdb_get(t, ids, &k, &v);
                if (rc != MDB_NOTFOUND) DIE("id already stored");
            }
            for (; i < end; i++) {
                uint64_t p = __builtin_bswap64(i + 1);
                memcpy(pk, &p, 8);
                MDB_val k = {8, pk}, v = {ev[i].vlen, (void *)ev[i].val};
                CHK(mdb_put(t, log, &k, &v, MDB_APPEND));
                MDB_val ik = {ev[i].idlen, (void *)ev[i].id};
                if (w_ids) CHK(mdb_put(t, ids, &ik, &k, MDB_NOOVERWRITE));
                memcpy(tk, ev[i].tkey, 8); memcpy(tk + 8, pk, 8);
                MDB_val tkv = {16, tk}, empty = {0, NULL};
                if (w_time) CHK(mdb_put(t, tim, &tkv, &empty, 0));
                const unsigned char *kp = ev[i].keys;
                for (int e = 0; e < ev[i].nkeys; e++) {
                    uint8_t idx = kp[0]; uint16_t l; memcpy(&l, kp + 1, 2);
                    MDB_val ek = {l, (void *)(kp + 3)};
                    if (w_ent[idx]) CHK(mdb_put(t, ent[idx], &ek, &k, MDB_NODUPDATA));
                    kp += 3 + l;
                }
            }
            double b = now_s();
            CHK(mdb_txn_commit(t));
            double e2 = now_s();
            lat[c] = e2 - b; puts += b - a; commits += e2 - b;
        }
        double el = now_s() - t0;
        double written = wchar() - w0, cpu = cpu_s() - c0;
        MDB_envinfo info; MDB_stat st;
        mdb_env_info(env, &info); mdb_env_stat(env, &st);
        double used = (double)(info.me_last_pgno + 1) * st.ms_psize;
        mdb_env_close(env);
        qsort(lat, nc, sizeof(double), cmpd);
        printf("RESULT name=%s events_per_s=%.0f put_ns_per_event=%.1f commit_ns_per_event=%.1f "
               "commit_p50_us=%.1f commit_p99_us=%.1f db_mb=%.1f written_b_per_event=%.0f cpu_ns_per_event=%.0f\n", argv[6], N / el, puts / N * 1e9,
               commits / N * 1e9, lat[(size_t)(0.5 * (nc - 1) + 0.5)] * 1e6, lat[(size_t)(0.99 * (nc - 1) + 0.5)] * 1e6, used / 1e6,
               written / N, cpu / N * 1e9);
        return 0;
    }
    """#

    /// Compiles the replayer into `binDir`; nil with a reason when gcc or liblmdb is missing.
    static func compile(binDir: String, scratch: String) -> (String?, String?) {
        let src = binDir + "/layout_replay.c", bin = binDir + "/layout_replay"
        do { try source.write(toFile: src, atomically: true, encoding: .utf8) } catch { return (nil, "cannot write \(src)") }
        guard let r = try? runProcess(["gcc", "-O3", "-Wall", "-o", bin, src, "-llmdb"], scratch: scratch) else { return (nil, "cannot run gcc") }
        guard r.status == 0 else { return (nil, "gcc layout_replay.c failed: \(brief(r))") }
        return (bin, nil)
    }

    /// Writes the input file: what `EventLog.record(for:)` and `LogStore.apply` would write for each event.
    static func writeInput(_ events: [Event], to path: String) throws {
        var out: [UInt8] = []
        out.reserveCapacity(events.count * 160)
        func u16(_ v: Int) { out.append(UInt8(v & 0xFF)); out.append(UInt8(v >> 8)) }
        func u32(_ v: Int) { for k in 0..<4 { out.append(UInt8((v >> (8 * k)) & 0xFF)) } }
        func be64(_ v: UInt64) { for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64(k)))) } }
        var n = UInt64(events.count)
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        for e in events {
            let id = Array(e.id.utf8)
            u16(id.count)
            out.append(contentsOf: id)
            let payload = EventCodec.encode(e)
            u32(13 + payload.count)
            out.append(1)  // RecordFormat header: version, CRC (not computed here), recorded_at
            out.append(contentsOf: [UInt8](repeating: 0, count: 12))
            out.append(contentsOf: payload)
            be64(UInt64(bitPattern: e.at.milliseconds) ^ (1 << 63))
            be64(0)  // position, filled in by the replayer
            let keys = entityKeys(of: e).filter { $0.1.count <= 400 }  // longer keys are hashed by the store; none in simulator data
            out.append(UInt8(keys.count))
            for (i, k) in keys {
                out.append(i)
                u16(k.count)
                out.append(contentsOf: k)
            }
        }
        try Data(out).write(to: URL(fileURLWithPath: path))
    }

    /// Mirror of `EventLog.entityKeys(of:)`: (index number, key bytes).
    static func entityKeys(of e: Event) -> [(UInt8, [UInt8])] {
        var keys: [(UInt8, [UInt8])] = []
        if e.type.isCallEvent, let c = e.callID { keys.append((0, Array(c.utf8))) }
        switch e.type {
        case .callStarted, .missedHandled, .leadCreated:
            if let c = e.client, !c.isHidden { keys.append((1, Array(c.digits.utf8))) }
        default: break
        }
        if let l = e.leadID, e.type.rawValue.hasPrefix("lead.") { keys.append((2, Array(l.utf8))) }
        switch e.type {
        case .departmentConfigured, .agentJoined, .agentLeft:
            if let d = e.department { keys.append((3, Array(d.utf8))) }
        default: break
        }
        switch e.type {
        case .agentStatus, .agentJoined, .agentLeft:
            if let a = e.agent { keys.append((4, Array(a.utf8))) }
        default: break
        }
        return keys
    }
}
