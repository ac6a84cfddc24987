/// The public site's stylesheet and script, written into every published site: nothing
/// is loaded from another host.
public enum PublicationAssets {
    public static let css = """
        :root { --ink: #1a1a1a; --muted: #555; --line: #d0d0d0; --accent: #0b5394; --in: #1e7b34; --out: #b3261e; --bg: #fff; }
        * { box-sizing: border-box; }
        body { margin: 0; font-family: system-ui, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--ink); background: var(--bg); line-height: 1.5; }
        header.site { background: var(--accent); color: #fff; padding: .75rem 1rem; }
        header.site a { color: #fff; }
        header.site p { margin: .25rem 0 0; }
        nav.site { display: flex; flex-wrap: wrap; gap: .25rem 1rem; padding: .5rem 1rem; border-bottom: 1px solid var(--line); }
        nav.site a { color: var(--accent); }
        main { padding: 1rem; max-width: 72rem; margin: 0 auto; }
        h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
        h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
        a { color: var(--accent); }
        .table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; }
        table { border-collapse: collapse; width: 100%; font-size: .9rem; }
        caption { text-align: left; font-weight: 600; padding: .25rem 0; }
        th, td { padding: .35rem .5rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
        th { background: #f2f4f7; }
        th button { font: inherit; font-weight: 600; background: none; border: 0; padding: 0; cursor: pointer; color: var(--ink); text-align: left; }
        td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
        td.in { color: var(--in); } td.out { color: var(--out); }
        tr.here { outline: 2px solid var(--accent); }
        .controls { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; margin: .5rem 0; }
        .controls label { display: flex; flex-direction: column; font-size: .9rem; }
        input, select, button.action { font: inherit; padding: .35rem .5rem; border: 1px solid #888; border-radius: 4px; max-width: 100%; }
        button.action { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
        .pager { display: flex; gap: .5rem; align-items: center; margin: .5rem 0; }
        .note { color: var(--muted); font-size: .9rem; }
        pre.checkpoint { white-space: pre-wrap; word-break: break-all; background: #f6f6f6; padding: .5rem; font-size: .8rem; }
        figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; }
        .verified { color: var(--in); font-weight: 600; } .failed { color: var(--out); font-weight: 600; }
        .result { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .75rem; margin: .5rem 0; overflow-wrap: anywhere; }
        main p { overflow-wrap: anywhere; }
        .controls label { max-width: 100%; }
        table.signatures { margin-top: 3rem; } table.signatures td { border: 0; text-align: center; width: 50%; padding-bottom: 4rem; font-weight: 600; }
        footer { padding: 1rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--line); }
        @media (max-width: 40rem) { th, td { padding: .3rem; } main { padding: .75rem; } }
        @media print {
          header.site, nav.site, .controls, .pager, footer, .no-print { display: none !important; }
          body { font-size: 10pt; } main { max-width: none; padding: 0; }
          @page { size: A4; margin: 15mm; }
          tr { page-break-inside: avoid; }
          a { color: var(--ink); text-decoration: none; }
        }
        """

    /// Filters, sorts and pages a register table; finds and proves a donation.
    static let script = #"""
        "use strict";
        // A register table: filter by text, sort by a column, 50 rows a page.
        function setUpRegister(table) {
          const body = table.tBodies[0];
          const rows = Array.from(body.rows);
          const filter = document.getElementById("loc");
          const pageSize = 50;
          let page = 0, shown = rows, sortColumn = -1, ascending = true;
          const info = document.getElementById("trang");
          function render() {
            const pages = Math.max(1, Math.ceil(shown.length / pageSize));
            page = Math.min(page, pages - 1);
            body.replaceChildren(...shown.slice(page * pageSize, (page + 1) * pageSize));
            info.textContent = "Trang " + (page + 1) + "/" + pages + " · " + shown.length + " dòng";
          }
          function apply() {
            // Amounts match with or without their dots (500000 finds 500.000).
            const words = filter.value.trim().toLowerCase();
            shown = rows.filter(row => {
              if (!words) return true;
              const text = Array.from(row.cells, cell => cell.textContent).join(" | ").toLowerCase();
              return text.includes(words) || text.replace(/(\d)\.(?=\d{3})/g, "$1").includes(words);
            });
            if (sortColumn >= 0) {
              const numeric = table.tHead.rows[0].cells[sortColumn].classList.contains("num");
              const key = row => numeric ? Number(row.cells[sortColumn].dataset.value || 0) : (row.cells[sortColumn].dataset.value || row.cells[sortColumn].textContent);
              const order = (a, b) => numeric ? key(a) - key(b) : String(key(a)).localeCompare(String(key(b)), "vi");
              shown = shown.slice().sort((a, b) => order(a, b) * (ascending ? 1 : -1));
            }
            page = 0;
            render();
          }
          filter.addEventListener("input", apply);
          Array.from(table.tHead.rows[0].cells).forEach((cell, index) => {
            const button = cell.querySelector("button");
            if (!button) return;
            button.addEventListener("click", () => {
              ascending = sortColumn === index ? !ascending : true;
              sortColumn = index;
              Array.from(table.tHead.rows[0].cells).forEach(c => c.removeAttribute("aria-sort"));
              cell.setAttribute("aria-sort", ascending ? "ascending" : "descending");
              apply();
            });
          });
          document.getElementById("truoc").addEventListener("click", () => { page = Math.max(0, page - 1); render(); });
          document.getElementById("sau").addEventListener("click", () => { page += 1; render(); });
          // An entry's fixed address, #k-<event id>: the page that holds it, the row in view.
          function goToEntry() {
            const id = decodeURIComponent(location.hash.slice(1));
            const at = shown.findIndex(row => row.id === id);
            if (!id || at < 0) return;
            page = Math.floor(at / pageSize);
            render();
            const row = document.getElementById(id);
            row.classList.add("here");
            row.scrollIntoView();
          }
          window.addEventListener("hashchange", goToEntry);
          render();
          goToEntry();
        }

        // RFC 9162 with tiles (c2sp.org/tlog-tiles), SHA-256 by WebCrypto.
        const hexOf = bytes => Array.from(bytes, b => b.toString(16).padStart(2, "0")).join("");
        const bytesOf = hex => new Uint8Array(hex.match(/../g).map(h => parseInt(h, 16)));
        async function sha256(parts) {
          const length = parts.reduce((n, p) => n + p.length, 0);
          const all = new Uint8Array(length);
          let offset = 0;
          for (const part of parts) { all.set(part, offset); offset += part.length; }
          return new Uint8Array(await crypto.subtle.digest("SHA-256", all));
        }
        const leafHash = entry => sha256([new Uint8Array([0]), entry]);
        const nodeHash = (left, right) => sha256([new Uint8Array([1]), left, right]);
        function tilePath(level, index, width) {
          const parts = [];
          let n = index;
          do { parts.unshift(String(n % 1000).padStart(3, "0")); n = Math.floor(n / 1000); } while (n > 0);
          const number = parts.map((p, i) => i < parts.length - 1 ? "x" + p : p).join("/");
          return "tile/" + level + "/" + number + (width < 256 ? ".p/" + width : "");
        }
        class TiledTree {
          constructor(base, size) { this.base = base; this.size = size; this.tiles = new Map(); }
          async tile(level, index) {
            const count = Math.floor(this.size / 256 ** level);
            const width = Math.min(256, count - index * 256);
            const path = tilePath(level, index, width);
            if (!this.tiles.has(path)) {
              const response = await fetch(this.base + path);
              if (!response.ok) throw new Error("thiếu " + path);
              const bytes = new Uint8Array(await response.arrayBuffer());
              if (bytes.length !== width * 32) throw new Error(path + " không đúng kích thước");
              this.tiles.set(path, bytes);
            }
            return this.tiles.get(path);
          }
          // The hash of node `index` of tree level `level` (a perfect subtree), from the tiles.
          async node(level, index) {
            const tileLevel = Math.floor(level / 8), below = level % 8;
            const first = index * 2 ** below;
            const hashes = [];
            for (let i = first; i < first + 2 ** below; i++) {
              const tile = await this.tile(tileLevel, Math.floor(i / 256));
              hashes.push(tile.slice((i % 256) * 32, (i % 256) * 32 + 32));
            }
            let layer = hashes;
            while (layer.length > 1) {
              const next = [];
              for (let i = 0; i < layer.length; i += 2) next.push(await nodeHash(layer[i], layer[i + 1]));
              layer = next;
            }
            return layer[0];
          }
          // MTH of leaves start .. start + count.
          async hash(start, count) {
            if ((count & (count - 1)) === 0 && start % count === 0) return this.node(Math.log2(count), start / count);
            let k = 1;
            while (k * 2 < count) k *= 2;
            return nodeHash(await this.hash(start, k), await this.hash(start + k, count - k));
          }
          async inclusionProof(index) {
            const proof = [];
            const path = async (m, start, n) => {
              if (n <= 1) return;
              let k = 1;
              while (k * 2 < n) k *= 2;
              if (m < k) { await path(m, start, k); proof.push(await this.hash(start + k, n - k)); }
              else { await path(m - k, start + k, n - k); proof.push(await this.hash(start, k)); }
            };
            await path(index, 0, this.size);
            return proof;
          }
        }
        // RFC 9162 §2.1.3.2.
        async function rootFromInclusion(index, size, leaf, proof) {
          let fn = index, sn = size - 1, r = leaf;
          for (const p of proof) {
            if (sn === 0) return null;
            if (fn % 2 === 1 || fn === sn) {
              r = await nodeHash(p, r);
              while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
            } else {
              r = await nodeHash(r, p);
            }
            fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
          }
          return sn === 0 ? r : null;
        }
        function parseCheckpoint(note) {
          const lines = note.split("\n");
          const root = Uint8Array.from(atob(lines[2]), c => c.charCodeAt(0));
          return { origin: lines[0], size: Number(lines[1]), root };
        }
        const base64Bytes = text => Uint8Array.from(atob(text), c => c.charCodeAt(0));
        // The checkpoint's Ed25519 signature (c2sp.org/signed-note) by the ward's verifier key,
        // with WebCrypto where the browser has Ed25519: true, false, or null when it cannot check.
        async function checkSignature(note, verifierKey) {
          const [name, id, material] = [verifierKey.slice(0, verifierKey.indexOf("+")),
            verifierKey.split("+")[1], verifierKey.split("+").slice(2).join("+")];
          const key = base64Bytes(material);
          if (key[0] !== 1 || key.length !== 33) return false;
          const split = note.lastIndexOf("\n\n");
          const text = new TextEncoder().encode(note.slice(0, split + 1));
          const line = note.slice(split + 2).split("\n").find(l => l.startsWith("\u2014 " + name + " "));
          if (!line) return false;
          const signature = base64Bytes(line.split(" ")[2]);
          if (hexOf(signature.slice(0, 4)) !== id) return false;
          let publicKey;
          try {
            publicKey = await crypto.subtle.importKey("raw", key.slice(1), { name: "Ed25519" }, false, ["verify"]);
          } catch (error) {
            return null;
          }
          return crypto.subtle.verify({ name: "Ed25519" }, publicKey, signature.slice(4), text);
        }
        // Proves that `entry` (hex record hash) is leaf position-1 of the signed checkpoint's tree.
        async function prove(base, position, entry, verifierKey) {
          const note = await (await fetch(base + "checkpoint")).text();
          const checkpoint = parseCheckpoint(note);
          const signed = verifierKey ? await checkSignature(note, verifierKey) : null;
          if (signed === false) throw new Error("chữ ký của điểm kiểm không đúng với khoá của phường");
          if (position > checkpoint.size) throw new Error("khoản này ghi sau điểm kiểm đã ký");
          const tree = new TiledTree(base, checkpoint.size);
          const leaf = await leafHash(bytesOf(entry));
          const stored = await tree.node(0, position - 1);
          if (hexOf(stored) !== hexOf(leaf)) throw new Error("lá trong các ô (tile) không khớp với khoản này");
          const proof = await tree.inclusionProof(position - 1);
          const root = await rootFromInclusion(position - 1, checkpoint.size, leaf, proof);
          if (!root || hexOf(root) !== hexOf(checkpoint.root)) throw new Error("gốc tính được không khớp với điểm kiểm đã ký");
          return { checkpoint, proof, signed };
        }

        // The look-up page.
        async function setUpLookUp(form) {
          const base = form.dataset.base;
          const index = await (await fetch(base + "du-lieu/tra-cuu.json")).json();
          const columns = index.columns;
          const rows = index.rows.map(values => Object.fromEntries(columns.map((c, i) => [c, values[i]])));
          const results = document.getElementById("ket-qua");
          const field = name => document.getElementById(name).value.trim().toLowerCase();
          const digits = text => text.replace(/[^0-9]/g, "");
          async function show(found) {
            results.replaceChildren();
            const summary = document.createElement("p");
            summary.textContent = found.length ? "Tìm thấy " + found.length + " khoản." : "Không tìm thấy khoản nào.";
            summary.setAttribute("role", "status");
            results.append(summary);
            for (const row of found.slice(0, 20)) {
              const box = document.createElement("section");
              box.className = "result";
              box.id = "k-" + row.eventId;
              const title = document.createElement("h2");
              title.textContent = row.amountText + " — " + row.counterpart;
              const details = document.createElement("p");
              details.textContent = "Ngày " + row.dateText + " · Quỹ " + row.fundName + " · Số biên nhận " + (row.receiptNo || "—")
                + " · Mã sự kiện " + row.eventId + " · Vị trí " + row.position;
              const status = document.createElement("p");
              status.className = "proof";
              status.textContent = "Đang kiểm chứng…";
              box.append(title, details, status);
              results.append(box);
              const link = document.createElement("p");
              const anchor = document.createElement("a");
              anchor.href = base + "quy/" + row.fundId + "/index.html#k-" + row.eventId;
              anchor.textContent = "Xem trong sổ quỹ";
              link.append(anchor);
              box.append(link);
              try {
                const { checkpoint, proof, signed } = await prove(base, row.position, row.entry, index.verifierKey);
                status.className = "proof verified";
                status.textContent = "Đã kiểm chứng: bản ghi của khoản này (mã băm " + row.entry.slice(0, 16) + "…) có trong sổ đã ký của "
                  + checkpoint.origin + " (cây " + checkpoint.size + " lá, gốc " + hexOf(checkpoint.root) + "), qua " + proof.length + " mã băm; "
                  + (signed ? "chữ ký số của phường đúng (khoá " + index.verifierKey + ")." : "trình duyệt này chưa kiểm được chữ ký Ed25519.");
                const details = document.createElement("details");
                const summary = document.createElement("summary");
                summary.textContent = "Bằng chứng (RFC 9162): lá " + (row.position - 1) + ", mã băm " + row.entry;
                const list = document.createElement("ol");
                for (const hash of proof) { const item = document.createElement("li"); item.textContent = hexOf(hash); list.append(item); }
                details.append(summary, list);
                box.append(details);
              } catch (error) {
                status.className = "proof failed";
                status.textContent = "Không kiểm chứng được: " + error.message;
              }
            }
          }
          function search() {
            const receipt = field("so-bien-nhan"), id = field("ma-su-kien"), name = field("ten"), amount = digits(field("so-tien")), date = field("ngay");
            if (!receipt && !id && !name && !amount && !date) return show([]);
            return show(rows.filter(row =>
              (!receipt || (row.receiptNo || "").toLowerCase() === receipt) &&
              (!id || row.eventId === id) &&
              (!name || row.counterpart.toLowerCase().includes(name)) &&
              (!amount || String(row.amount) === amount) &&
              (!date || row.date === date)));
          }
          form.addEventListener("submit", event => { event.preventDefault(); search(); });
          const wanted = decodeURIComponent(location.hash.slice(1));
          if (wanted) { document.getElementById("ma-su-kien").value = wanted; await search(); }
          form.dataset.ready = "yes";
        }

        document.addEventListener("DOMContentLoaded", () => {
          const table = document.querySelector("table.register");
          if (table) setUpRegister(table);
          const form = document.getElementById("tra-cuu");
          if (form) setUpLookUp(form).catch(error => {
            document.getElementById("ket-qua").textContent = "Không tải được chỉ mục tra cứu: " + error.message;
            form.dataset.ready = "error";
          });
        });
        """#
}
