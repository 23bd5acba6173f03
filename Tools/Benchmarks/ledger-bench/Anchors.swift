import Foundation

/// The baselines of the same run: the C programs of the anchors directory compiled with
/// `gcc -O3` into a temporary directory, and py-lmdb's script when the module is importable.
struct Anchors {
    let sourceDir: String
    let binDir: String
    var lmdbAppend: String?
    var lmdbRead: String?
    var sqliteBench: String?
    var pyScript: String?
    /// Why a baseline is missing, by name.
    var missing: [String: String] = [:]
    var versions: [String: String] = [:]

    init(sourceDir: String, scratch: String) {
        self.sourceDir = sourceDir
        binDir = scratch + "/anchors-bin"
        try? FileManager.default.createDirectory(atPath: binDir, withIntermediateDirectories: true)
        let fm = FileManager.default
        guard fm.fileExists(atPath: sourceDir + "/lmdb_append.c") else {
            for n in ["lmdb", "sqlite", "py-lmdb"] { missing[n] = "anchors directory \(sourceDir) has no lmdb_append.c (use --anchors DIR)" }
            return
        }
        let gcc = (try? runProcess(["gcc", "--version"], scratch: scratch)).flatMap { $0.status == 0 ? firstLine($0.stdout) : nil }
        if let gcc {
            versions["gcc"] = gcc
            lmdbAppend = compile("lmdb_append", lib: "-llmdb", scratch: scratch, what: "lmdb")
            lmdbRead = compile("lmdb_read", lib: "-llmdb", scratch: scratch, what: "lmdb")
            sqliteBench = compile("sqlite_bench", lib: "-lsqlite3", scratch: scratch, what: "sqlite")
            // Library versions as the linked libraries report them.
            let probe = binDir + "/versions.c"
            try? """
            #include <stdio.h>
            #include <lmdb.h>
            #include <sqlite3.h>
            int main(void) { printf("%s\\n%s\\n", mdb_version(0, 0, 0), sqlite3_libversion()); return 0; }
            """.write(toFile: probe, atomically: true, encoding: .utf8)
            if let r = try? runProcess(["gcc", "-O1", "-o", binDir + "/versions", probe, "-llmdb", "-lsqlite3"], scratch: scratch),
               r.status == 0, let v = try? runProcess([binDir + "/versions"], scratch: scratch) {
                let l = v.stdout.split(separator: "\n").map(String.init)
                if l.count >= 2 { versions["liblmdb"] = l[0]; versions["sqlite"] = l[1] }
            }
        } else {
            for n in ["lmdb", "sqlite"] { missing[n] = "gcc not found" }
        }
        if fm.fileExists(atPath: sourceDir + "/py_lmdb.py") {
            if let r = try? runProcess(["python3", "-c", "import lmdb; print(lmdb.__version__, '.'.join(map(str, lmdb.version())))"], scratch: scratch),
               r.status == 0 {
                pyScript = sourceDir + "/py_lmdb.py"
                let p = r.stdout.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
                versions["py-lmdb"] = p.count >= 2 ? "\(p[0]) (bundled LMDB \(p[1]))" : r.stdout
            } else {
                missing["py-lmdb"] = "python3 module lmdb not importable (pip install lmdb)"
            }
        } else {
            missing["py-lmdb"] = "no py_lmdb.py in \(sourceDir)"
        }
    }

    private mutating func compile(_ name: String, lib: String, scratch: String, what: String) -> String? {
        let bin = binDir + "/" + name
        let args = ["gcc", "-O3", "-Wall", "-I", sourceDir, "-o", bin, sourceDir + "/\(name).c", lib]
        guard let r = try? runProcess(args, scratch: scratch) else {
            missing[what] = "cannot run gcc"
            return nil
        }
        guard r.status == 0 else {
            missing[what] = "gcc -O3 \(name).c \(lib) failed (\(brief(r)))"
            return nil
        }
        return bin
    }
}

/// One baseline measurement: the parsed RESULT fields.
struct AnchorRun {
    var fields: [String: String]
    func value(_ key: String) -> Double { fields[key].flatMap(Double.init) ?? .nan }
}

extension Anchors {
    /// Runs a compiled anchor (or the Python script); nil with a note when it fails.
    func measure(_ args: [String], scratch: String) -> AnchorRun? {
        guard let r = try? runProcess(args, scratch: scratch) else {
            note("  ! cannot run \(args[0])")
            return nil
        }
        guard r.status == 0, let f = parseResultLine(r.stdout) else {
            note("  ! \(args.map { ($0 as NSString).lastPathComponent }.prefix(3).joined(separator: " ")) failed: \(brief(r))")
            return nil
        }
        return AnchorRun(fields: f)
    }
}
