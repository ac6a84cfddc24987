#!/usr/bin/env python3
"""Generate the ansinh demo data for Núi Sam ward, 2024 (standard library only).

Run from anywhere:  python3 tools/demo/generate.py [--out DIR]
It (re)writes the two event files in Sources/ansinh/Demo (where the program ships
them) and expected.json next to this file; with --out, all three in DIR instead (the
tests run it so and compare the files byte for byte with the committed ones):

  nui-sam-2024.jsonl     the ward's figures for the first 9 months of 2024
                         (dates 2024-01-01 … 2024-09-30), in `ansinh import` format
  piggybank-2024.jsonl   the party members' piggy-bank model ("ống heo tiết kiệm"),
                         2024-05-19 … 2024-11-30, with its own fund; import it after
                         nui-sam-2024.jsonl or on its own (it references nothing else)
  expected.json          the figures a correct program must show, computed by
                         replaying the generated events (see `replay` below), never
                         typed by hand

Every line is {"type": …, "data": {…}, "eventId": "<uuid>"} with no schemaVersion key
(current versions: DonationReceived v2, all others v1), UTF-8, one event per line,
"\\n" line ends. Lines are in the order a clerk enters them: by business date, within
a date by the order in TYPE_ORDER; a correction recorded after its reversal keeps the
date the money really moved but is entered on the reversal's date, after it (see
Corrections below). Every line only references things created on earlier lines, and
no fund balance is ever below 0 at the end of any date, counting every earlier line.

Determinism: no clock, no `random` module, no dict/set iteration whose order depends
on hashing. Pseudo-random choices come from `Rng`, a SHA-256 counter generator with
the fixed seed SEED (identical on every Python 3 version). eventIds are
uuid5(NAMESPACE, "<file>/<stable name>"), the stable name being built from the
event's business key (fund id, pledge id, receipt number, disbursement id, member id
and date …). Re-running gives byte-identical files.

Source of the figures: /work/shared/seed/nui-sam-article.vi.txt, the ward's
nine-month report ("Đảng bộ Phường Núi Sam: Chăm lo đời sống Nhân dân …").
The generator asserts every article figure against the replayed events (ARTICLE).

Assumptions (everything not stated in the article):

Funds (nui-sam-2024.jsonl)
  * The three funds are opened on 2024-01-01, the first day of the reporting period.
    "vi-nguoi-ngheo" and "den-on-dap-nghia" open with balance 0 (the article reports
    only this year's mobilisation); "khuyen-hoc" opens with 211.300.000 đ, so that
    opening + the 400.000.000 đ received = 611.300.000 đ ("nâng tổng quỹ").
    A period report's "opening" for 2024-01-01..2024-09-30 is therefore each fund's
    openingBalance (the balance before any movement of the period).
  * Quỹ "Vì người nghèo": 624.845.000 đ received as 56 donations from religious
    bodies (Khu di tích Miếu Bà Chúa Xứ Núi Sam, Tây An Cổ Tự, Chùa Hang, Chùa Vạn
    Linh, Giáo xứ Châu Đốc, Phật giáo Hòa Hảo), businesses, organisations, party
    members and individuals. Donor names other than the well-known religious sites
    are illustrative; which body gave how much is invented. The last donation (the
    second opening of the collection box at the Miếu Bà, 2024-09-25) is the computed
    remainder that makes the total exactly 624.845.000 đ.
    Pledges: the Miếu Bà's Ban Quản trị pledges 200.000.000 đ and pays it in two
    instalments (120M in January, 80M after the Vía Bà festival); a company pledges
    20.000.000 đ and gives 25.000.000 đ (surplus 5.000.000 đ); a construction company
    pledges 15.000.000 đ and cancels it (PledgeCancelled, no donation); a Ho Chi
    Minh City charity group pledges and pays 30.000.000 đ; the young entrepreneurs'
    association pledges 10.000.000 đ due 2024-12-31 that is still outstanding on
    2024-09-30.
    Disbursements (the article gives only totals; the split is assumed):
      housing  2 houses: 60.000.000 đ (cất mới, 2024-04-20) + 40.000.000 đ (sửa chữa,
               2024-08-15), quantity 1 each, beneficiary kind poorHousehold;
      gift     1.507 gifts in 6 events: Tết Giáp Thìn (Tết was 2024-02-10) on
               02-02 (450 × 300.000), 02-05 (350 × 300.000) and 02-07
               (120 × 250.000), dry-season rice on 04-25 (200 × 200.000), after the
               Vía Bà festival on 06-10 (150 × 250.000) and an emergency round on
               07-15 (237 gifts, the remainder 69.345.000 đ, since the article says
               gifts were "tiền mặt, gạo và các nhu yếu phẩm" of unequal value);
      healthInsurance  93 BHYT cards in 3 events: 03-15 (40 cards, 21.840.000),
               06-20 (30 cards, 16.380.000), 09-10 (23 cards, 12.532.000).
    Closing balance 624.845.000 − 567.597.000 = 57.248.000 đ.
  * Quỹ "Đền ơn đáp nghĩa": 24.500.000 đ from 9 donations in June–July (one of them
    after a pledge); the article gives no amount for the 76 gifts: we assume
    300.000 đ a gift, 76 × 300.000 = 22.800.000 đ, paid 2024-07-24 (before 27/7),
    beneficiary kind policyFamily. Closing 1.700.000 đ.
  * Quỹ "Khuyến học – Khuyến tài": the 400.000.000 đ are 4 donations in
    August–September (donors illustrative). The 610 student gifts (133.251.000 đ),
    the 08 scholarships (3.480.000 đ) and the 2.000 notebooks are NOT paid from the
    fund: the article says "Vận động hỗ trợ" (support mobilised from donors) and
    then says the fund stands at 611.300.000 đ after receiving the 400M, which
    would be false had they been paid out of it. They are ExternalSupportRecorded
    by "Hội Khuyến học phường Núi Sam" (the article names no organisation; this is
    the body that usually arranges such support), dated 2024-09-05 (school year
    opening). The notebooks have value 0 (no amount given) and beneficiaries 4
    (the ward's schools, an assumed count); "2.000 quyển tập" is in the description.
    The fund therefore closes the period at 611.300.000 đ.

External support (ExternalSupportRecorded, never in a balance): one record per
figure of the article, so that each figure appears as is.
  * Hội Phụ nữ phường Núi Sam: 04 rotating-capital groups for BHYT: value 0 (no
    amount in the article), beneficiaries 40 (assumed 10 members a group);
    504 gifts 78.430.000 đ (beneficiaries 504); "Mẹ đỡ đầu" 05 children
    20.900.000 đ; 09 members' loans from the Asia fund ("Quỹ Châu Á")
    30.000.000 đ.
  * Đoàn Thanh niên phường Núi Sam: 20 solar lamp posts 30.000.000 đ, beneficiaries 1
    (one public work, "01 công trình"; the 20 posts are in the description);
    sponsorship of 02 pupils at "200.000 đồng/hàng tháng": read literally as
    200.000 đ a month for the sponsorship (the article does not say "mỗi em"), over
    the 9 months January–September, recorded once on 2024-09-30: value 1.800.000 đ,
    beneficiaries 2; Vietinbank Châu Đốc youth branch gift + savings book
    15.500.000 đ for 01 martyr's mother; 01 youth's tractor-repair loan
    40.000.000 đ from the social-policy bank; "Nghĩa tình biên giới – Trao gửi yêu
    thương" 50 gifts × 700.000 = 35.000.000 đ from the T&T volunteer group.
  * Ủy ban nhân dân phường Núi Sam: livelihood model "Honda đầu", 12 households,
    240.000.000 đ.
  Dates of these records are plausible guesses (8/3, 26/3, 1/6, before 27/7 …).
  Decision references (decisionRef) and receipt numbers are illustrative.

Piggy-bank model (piggybank-2024.jsonl)
  * Fund "an-sinh-dang-bo" ("Quỹ chăm lo an sinh xã hội của Đảng bộ phường") opened
    2024-05-19 with balance 0; model "ong-heo-2024", dailyTarget 1000, 2024-05-19
    (Bác Hồ's birthday, a Sunday) … 2024-11-30 (a Saturday): 196 days.
  * 120 party members dv-001 … dv-120 in 9 cells named after plausible
    neighbourhoods and units of the ward (illustrative names, not the ward's real
    list). dv-001 … dv-116 enrol 2024-05-06 … 2024-05-17 (one registration day per
    cell); dv-117 … dv-120 enrol during the period (06-20, 07-15, 08-28, 10-07).
    3 members leave (MemberLeft) on 07-31, 09-16 and 10-21.
  * Behaviour: weekly depositors hand in on Saturdays (the last day of each 7-day
    week of the model), monthly ones on the last day of each month; a member who
    leaves hands in what is due on the day before leaving. On-target members pay
    1.000 đ × days of the chunk, some rounded up to 5.000/10.000; generous ones pay
    1.500–3.000 đ a day, some adding a lump of 50.000–200.000 đ; ~15% (18 members, plus 1 late joiner) skip
    some hand-ins or save 500 đ a day and fall short; 3 members never deposit.
    Deposits never fall outside [startsOn, endsOn], before enrolment or on/after
    leftOn.
  * Two MemberEnrolled lines carry fullName in Unicode NFD on purpose: dv-017
    ("Nguyễn Thị Ngọc Hường") and dv-088 ("Trần Quốc Việt"). Every other name in
    both files is NFC.
  * The model is closed on 2024-11-30 with an illustrative decisionRef; the fund's
    money stays in the fund (the Standing Committee decides later), so its balance
    at the end is the total collected.

Corrections (EntryReversed, the ledger's only way to correct a mistake). The
article's totals are after corrections, so each mistake is undone in full:
  * a receipt typed in twice: the 5.000.000 đ donation of 2024-03-20 to Vì người
    nghèo (receipt PT-VNN/2024/032) is recorded twice; the copy is reversed on
    2024-04-02, when the March cash book is checked against the receipts. The
    reversal counts on its own date, so a report from 2024-04-01 opens with the copy
    and takes it away in its own received;
  * a wrong amount: BHYT round 2 (vnn-2024-008, 30 cards, 2024-06-20) is typed as
    16.830.000 đ instead of 16.380.000 đ; reversed on 2024-06-24 and recorded again
    as vnn-2024-008-ghi-lai, dated 2024-06-20 (when the money was paid), after the
    reversal;
  * a deposit typed for the wrong member: dv-045's 7.000 đ of 2024-08-17 is recorded
    for dv-054 (same cell, the digits the other way round), reversed on 2024-08-20
    and recorded for dv-045, dated 2024-08-17, after the reversal.
  Between an entry and its reversal both count (the books as of 2024-08-18 hold the
  7.000 đ twice: expected.json's piggyBankModelAsOf shows it).

Piggy-bank figures in expected.json: "membersEnrolled" counts members enrolled on at
least one day of the period; a day counts for a member when enrolledOn ≤ day and
(no leftOn or day < leftOn); expected at target = Σ enrolled days × dailyTarget.
Deposits, counts and totals are net of reversals, each counted on its own date.
"""
import argparse
import datetime
import hashlib
import json
import os
import sys
import unicodedata
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
# The event files ship inside the program, as resources of its `ansinh` target.
DATA = os.path.join(HERE, "..", "..", "Sources", "ansinh", "Demo")
SEED = "ansinh-demo/nui-sam/2024"
NAMESPACE = uuid.UUID("6f1c3a52-8d0e-5b7a-9c41-2e5d7f0a9b13")

NUI_SAM_FILE = "nui-sam-2024.jsonl"
PIGGY_FILE = "piggybank-2024.jsonl"
EXPECTED_FILE = "expected.json"
JSON_WIDTH = 230  # expected.json keeps an object on one line when it fits

PERIOD_FROM = "2024-01-01"
PERIOD_TO = "2024-09-30"
# A second report, starting after the funds opened: its openings carry January–March forward.
LATER_PERIOD_FROM = "2024-04-01"
# A date between the deposit typed for the wrong member and its reversal.
PIGGY_AS_OF = "2024-08-18"

TYPE_ORDER = [
    "FundOpened", "MemberEnrolled", "PiggyBankModelStarted", "PledgeMade",
    "DonationReceived", "PiggyBankDeposited", "PledgeCancelled", "DisbursementMade",
    "ExternalSupportRecorded", "MemberLeft", "PiggyBankModelClosed", "EntryReversed",
]

NFD_MEMBERS = {"dv-017": "Nguyễn Thị Ngọc Hường", "dv-088": "Trần Quốc Việt"}


# ---------------------------------------------------------------- helpers

class Rng:
    """SHA-256 counter PRNG: the same sequence on every Python version."""

    def __init__(self, seed):
        self.seed = seed
        self.counter = 0

    def u64(self):
        digest = hashlib.sha256(f"{self.seed}:{self.counter}".encode()).digest()
        self.counter += 1
        return int.from_bytes(digest[:8], "big")

    def randint(self, lo, hi):
        return lo + self.u64() % (hi - lo + 1)

    def random(self):
        return self.u64() / 2.0 ** 64

    def choice(self, seq):
        return seq[self.randint(0, len(seq) - 1)]

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.randint(0, i)
            items[i], items[j] = items[j], items[i]


def d(s):
    return datetime.date.fromisoformat(s)


def iso(day):
    return day.isoformat()


def nfc(s):
    return unicodedata.normalize("NFC", s)


def vnd(n):
    """624845000 -> '624.845.000'"""
    return f"{n:,}".replace(",", ".")


class File:
    """Collects the events of one import file and puts them in the order a clerk
    enters them: by business date, except a correction, which is entered after the
    reversal it goes with (see `add`)."""

    def __init__(self, name):
        self.name = name
        self.events = []
        self.keys = set()

    def event_id(self, type_, key):
        stable = f"{self.name}/{type_}/{key}"
        if stable not in self.keys:
            raise SystemExit(f"no event {stable} to refer to")
        return str(uuid.uuid5(NAMESPACE, stable))

    def add(self, type_, date, key, data, entered=None):
        """`entered`: the day a correction was typed in, when later than its business
        date; it then follows that day's reversals."""
        stable = f"{self.name}/{type_}/{key}"
        if stable in self.keys:
            raise SystemExit(f"duplicate stable name {stable}")
        self.keys.add(stable)
        rank = TYPE_ORDER.index(type_) if entered is None else len(TYPE_ORDER)
        self.events.append({
            "sort": (entered or date, rank, len(self.events)),
            "line": {"type": type_, "data": data,
                     "eventId": str(uuid.uuid5(NAMESPACE, stable))},
        })

    def reverse(self, type_, key, on, reason):
        """An EntryReversed of the event added as (type_, key), dated `on`."""
        self.add("EntryReversed", on, f"{type_}/{key}", {
            "reversesEventId": self.event_id(type_, key), "reversedOn": on,
            "reason": reason})

    def lines(self):
        return [e["line"] for e in sorted(self.events, key=lambda e: e["sort"])]


def write_jsonl(path, lines):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- names

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Đặng",
            "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Châu", "Lâm", "Đoàn", "Thái",
            "Tô", "Mai", "Quách", "Hà", "Cao"]
MALE_MIDDLE = ["Văn", "Văn", "Minh", "Hoàng", "Thanh", "Quốc", "Hữu", "Công", "Đức",
               "Tấn", "Trọng", "Phước"]
FEMALE_MIDDLE = ["Thị", "Thị", "Ngọc", "Thanh", "Kim", "Thu", "Mỹ", "Bích", "Hồng",
                 "Thúy"]
MALE_GIVEN = ["Hùng", "Dũng", "Phúc", "Tâm", "Lộc", "Tài", "Nghĩa", "Hiếu", "Trung",
              "Thắng", "Khang", "Bình", "Tuấn", "Sơn", "Long", "Hải", "Cường",
              "Thành", "Toàn", "Hậu", "Vũ", "Quang", "Định", "Lợi", "Nhân", "Thiện",
              "Khải", "Tùng", "Đạt", "Hoà"]
FEMALE_GIVEN = ["Lan", "Hương", "Mai", "Hạnh", "Thảo", "Nhung", "Trang", "Yến",
                "Diễm", "Phượng", "Loan", "Hồng", "Liên", "Ngân", "Thủy", "Xuân",
                "Tuyết", "Hằng", "Trinh", "Nga", "Cúc", "Đào", "Nguyệt", "Vân"]


class Names:
    def __init__(self, rng, taken=()):
        self.rng = rng
        self.taken = set(nfc(t) for t in taken)

    def person(self):
        while True:
            if self.rng.random() < 0.5:
                name = (f"{self.rng.choice(SURNAMES)} {self.rng.choice(MALE_MIDDLE)} "
                        f"{self.rng.choice(MALE_GIVEN)}")
            else:
                name = (f"{self.rng.choice(SURNAMES)} {self.rng.choice(FEMALE_MIDDLE)} "
                        f"{self.rng.choice(FEMALE_GIVEN)}")
            name = nfc(name)
            if name not in self.taken:
                self.taken.add(name)
                return name


# ---------------------------------------------------------------- nui-sam-2024

VNN = "vi-nguoi-ngheo"
DODN = "den-on-dap-nghia"
KH = "khuyen-hoc"

MIEU_BA = "Ban Quản trị Khu di tích Miếu Bà Chúa Xứ Núi Sam"
VINH_TE = "Công ty TNHH Thương mại – Dịch vụ Vĩnh Tế"
BAY_NUI = "Công ty Cổ phần Xây dựng Bảy Núi"
HUONG_THIEN = "Nhóm từ thiện Hướng Thiện (TP. Hồ Chí Minh)"
DNT = "Hội Doanh nhân trẻ thành phố Châu Đốc"
HOANG_PHUC = "Khách sạn Hoàng Phúc Núi Sam"

VNN_TOTAL = 624_845_000

# Corrections (EntryReversed): a receipt typed in twice, a disbursement typed with the
# wrong amount, a deposit typed for the wrong member.
DUPLICATE_ON, DUPLICATE_REVERSED_ON = "2024-03-20", "2024-04-02"
WRONG_AMOUNT_REVERSED_ON = "2024-06-24"
CORRECTED_DISBURSEMENT = "vnn-2024-008-ghi-lai"


def build_nui_sam(rng):
    f = File(NUI_SAM_FILE)
    names = Names(rng, NFD_MEMBERS.values())
    receipt_no = {VNN: 0, DODN: 0, KH: 0}
    receipt_prefix = {VNN: "PT-VNN", DODN: "PT-ĐƠĐN", KH: "PT-KHKT"}

    def fund(fund_id, name, opening, purpose):
        f.add("FundOpened", "2024-01-01", fund_id, {
            "fundId": fund_id, "name": name, "openedOn": "2024-01-01",
            "openingBalance": opening, "purpose": purpose})

    def pledge(pid, fund_id, donor, kind, amount, on, due):
        f.add("PledgeMade", on, pid, {
            "pledgeId": pid, "fundId": fund_id, "donor": {"name": donor, "kind": kind},
            "amount": amount, "pledgedOn": on, "dueOn": due})

    def donation(fund_id, on, donor, kind, amount, pledge_id=None):
        receipt_no[fund_id] += 1
        receipt = f"{receipt_prefix[fund_id]}/2024/{receipt_no[fund_id]:03d}"
        data = {"fundId": fund_id, "donor": {"name": donor, "kind": kind},
                "amount": amount, "receivedOn": on}
        if pledge_id:
            data["pledgeId"] = pledge_id
        data["receiptNo"] = receipt
        f.add("DonationReceived", on, f"{fund_id}/{receipt}", data)
        return receipt, data

    def disburse(did, fund_id, purpose, ben, ben_kind, amount, qty, on, decision,
                 programme, entered=None):
        f.add("DisbursementMade", on, did, {
            "disbursementId": did, "fundId": fund_id, "purpose": purpose,
            "beneficiary": {"name": ben, "kind": ben_kind}, "amount": amount,
            "quantity": qty, "disbursedOn": on, "decisionRef": decision,
            "programme": programme}, entered=entered)

    def external(key, org, programme, description, beneficiaries, value, on,
                 source=None):
        data = {"organisation": org, "programme": programme,
                "description": description, "beneficiaries": beneficiaries,
                "value": value, "recordedOn": on}
        if source:
            data["source"] = source
        f.add("ExternalSupportRecorded", on, key, data)

    # --- funds
    fund(VNN, "Quỹ “Vì người nghèo”", 0,
         "Quỹ do Ủy ban MTTQ Việt Nam phường Núi Sam vận động và quản lý: hỗ trợ "
         "hộ nghèo, hộ cận nghèo, hộ khó khăn (nhà đại đoàn kết, quà, thẻ BHYT).")
    fund(DODN, "Quỹ “Đền ơn đáp nghĩa”", 0,
         "Chăm lo thương binh, thân nhân liệt sĩ, người có công và gia đình chính sách.")
    fund(KH, "Quỹ “Khuyến học – Khuyến tài”", 211_300_000,
         "Khuyến khích, hỗ trợ học sinh nghèo hiếu học; số dư chuyển từ các năm trước "
         "211.300.000 đồng.")

    # --- Quỹ "Vì người nghèo": pledges
    pledge("cam-ket-vnn-2024-01", VNN, MIEU_BA, "religiousBody", 200_000_000,
           "2024-01-05", "2024-06-30")
    pledge("cam-ket-vnn-2024-02", VNN, VINH_TE, "business", 20_000_000,
           "2024-01-08", "2024-01-31")
    pledge("cam-ket-vnn-2024-03", VNN, BAY_NUI, "business", 15_000_000,
           "2024-01-10", "2024-03-31")
    f.add("PledgeCancelled", "2024-04-02", "cam-ket-vnn-2024-03", {
        "pledgeId": "cam-ket-vnn-2024-03", "cancelledOn": "2024-04-02",
        "reason": "Doanh nghiệp có văn bản xin rút cam kết do khó khăn tài chính; "
                  "Ban Thường trực Ủy ban MTTQ phường đồng ý."})
    pledge("cam-ket-vnn-2024-04", VNN, HUONG_THIEN, "organisation", 30_000_000,
           "2024-05-20", "2024-06-30")
    pledge("cam-ket-vnn-2024-05", VNN, DNT, "organisation", 10_000_000,
           "2024-08-01", "2024-12-31")

    # --- Quỹ "Vì người nghèo": donations (date, donor, kind, amount, pledge)
    vnn = [
        ("2024-01-12", "Ủy ban MTTQ Việt Nam thành phố Châu Đốc", "organisation",
         40_000_000, None),
        ("2024-01-15", "Công đoàn cơ sở Ủy ban nhân dân phường Núi Sam",
         "organisation", 5_000_000, None),
        ("2024-01-18", HOANG_PHUC, "business", 10_000_000, None),
        ("2024-01-20", MIEU_BA, "religiousBody", 120_000_000, "cam-ket-vnn-2024-01"),
        ("2024-01-22", "Chùa Tây An (Tây An Cổ Tự)", "religiousBody", 30_000_000, None),
        ("2024-01-23", "Doanh nghiệp tư nhân Mắm Hương Sen Châu Đốc", "business",
         15_000_000, None),
        ("2024-01-24", "Giáo xứ Châu Đốc", "religiousBody", 10_000_000, None),
        ("2024-01-25", "Chùa Phước Điền (Chùa Hang)", "religiousBody", 25_000_000, None),
        ("2024-01-26", VINH_TE, "business", 25_000_000, "cam-ket-vnn-2024-02"),
        ("2024-01-26", "Chùa Vạn Linh", "religiousBody", 10_000_000, None),
        ("2024-01-27", "Ngân hàng Nông nghiệp và Phát triển Nông thôn – Chi nhánh "
         "Châu Đốc", "business", 10_000_000, None),
        ("2024-01-28", "Ban Trị sự Phật giáo Hòa Hảo phường Núi Sam", "religiousBody",
         15_000_000, None),
        ("2024-02-20", "Lâm Thị Kim Cúc (Việt kiều Hoa Kỳ)", "individual",
         20_000_000, None),
        ("2024-03-05", "Hội Cựu chiến binh phường Núi Sam", "organisation",
         3_000_000, None),
        ("2024-03-12", "Cơ sở sản xuất khô cá Thanh Tâm", "business", 3_000_000, None),
        ("2024-04-08", "Công ty TNHH Đầu tư Xây dựng Phú Cường Châu Đốc", "business",
         15_000_000, None),
        ("2024-04-10", "Hộ kinh doanh Tiệm vàng Kim Phát", "business", 5_000_000, None),
        ("2024-04-22", "Chùa Phước Điền (Chùa Hang)", "religiousBody", 10_000_000, None),
        ("2024-04-15", "Câu lạc bộ Thiện nguyện Tấm Lòng Vàng Châu Đốc",
         "organisation", 8_000_000, None),
        ("2024-04-18", "Nhà hàng Ẩm thực Núi Sam", "business", 5_000_000, None),
        ("2024-06-05", MIEU_BA, "religiousBody", 80_000_000, "cam-ket-vnn-2024-01"),
        ("2024-06-06", "Chùa Tây An (Tây An Cổ Tự)", "religiousBody", 20_000_000, None),
        ("2024-06-08", HUONG_THIEN, "organisation", 30_000_000, "cam-ket-vnn-2024-04"),
        ("2024-06-10", "Hòm vận động Quỹ Vì người nghèo tại Miếu Bà Chúa Xứ Núi Sam",
         "religiousBody", 36_418_000, None),
        ("2024-07-05", "Công ty TNHH Du lịch – Vận tải Sam Sơn", "business",
         10_000_000, None),
        ("2024-08-12", "Hợp tác xã Nông nghiệp Vĩnh Phước", "organisation",
         5_000_000, None),
    ]
    # party members' day-of-salary donations in January and August
    for day, count in (("2024-01-17", 14), ("2024-08-19", 8)):
        for _ in range(count):
            vnn.append((day, names.person(), "partyMember",
                        rng.choice([500_000, 500_000, 1_000_000, 1_000_000,
                                    1_500_000, 2_000_000]), None))
    # individual well-wishers
    for day in ("2024-01-29", "2024-01-31", "2024-03-20", "2024-05-30",
                "2024-06-02", "2024-07-20", "2024-09-02"):
        vnn.append((day, names.person(), "individual",
                    rng.choice([1_000_000, 2_000_000, 3_000_000, 5_000_000]), None))
    remainder = VNN_TOTAL - sum(v[3] for v in vnn)
    if not 5_000_000 <= remainder <= 60_000_000:
        raise SystemExit(f"unexpected remainder for the Miếu Bà collection box: {remainder}")
    vnn.append(("2024-09-25", "Hòm vận động Quỹ Vì người nghèo tại Miếu Bà Chúa Xứ "
                "Núi Sam", "religiousBody", remainder, None))
    if sum(1 for v in vnn if v[0] == DUPLICATE_ON) != 1:
        raise SystemExit(f"expected exactly one donation on {DUPLICATE_ON} to enter twice")
    for day, donor, kind, amount, pid in sorted(vnn, key=lambda v: v[0]):
        receipt, data = donation(VNN, day, nfc(donor), kind, amount, pid)
        if day == DUPLICATE_ON:
            # The clerk types the same receipt in twice; the monthly check of the cash
            # book against the receipts finds it, and the copy is reversed.
            copy = f"{VNN}/{receipt}/nhap-trung"
            f.add("DonationReceived", day, copy, dict(data))
            f.reverse("DonationReceived", copy, DUPLICATE_REVERSED_ON,
                      f"Phiếu thu {receipt} ngày {d(day).strftime('%d/%m/%Y')} bị nhập "
                      f"hai lần; đối chiếu sổ quỹ tháng {d(day).month}/{d(day).year} với "
                      "phiếu thu phát hiện, điều chỉnh giảm bút toán trùng.")

    # --- Quỹ "Vì người nghèo": disbursements
    mttq = "Ban Thường trực Ủy ban MTTQ Việt Nam phường Núi Sam"
    tet = "Chăm lo Tết Nguyên đán Giáp Thìn 2024"
    disburse("vnn-2024-001", VNN, "gift", "450 hộ nghèo trên địa bàn phường",
             "poorHousehold", 135_000_000, 450, "2024-02-02",
             f"Quyết định số 03/QĐ-MTTQ ngày 29/01/2024 của {mttq}", tet)
    disburse("vnn-2024-002", VNN, "gift", "350 hộ cận nghèo trên địa bàn phường",
             "nearPoorHousehold", 105_000_000, 350, "2024-02-05",
             f"Quyết định số 03/QĐ-MTTQ ngày 29/01/2024 của {mttq}", tet)
    disburse("vnn-2024-003", VNN, "gift",
             "120 người cao tuổi neo đơn, người khuyết tật có hoàn cảnh khó khăn",
             "other", 30_000_000, 120, "2024-02-07",
             f"Quyết định số 04/QĐ-MTTQ ngày 02/02/2024 của {mttq}", tet)
    disburse("vnn-2024-004", VNN, "healthInsurance",
             "40 người thuộc hộ cận nghèo, hộ khó khăn chưa có thẻ BHYT",
             "nearPoorHousehold", 21_840_000, 40, "2024-03-15",
             f"Quyết định số 07/QĐ-MTTQ ngày 11/03/2024 của {mttq}",
             "Cấp thẻ bảo hiểm y tế đợt 1 năm 2024")
    disburse("vnn-2024-005", VNN, "housing",
             "Hộ bà Nguyễn Thị Lành, khóm Vĩnh Tây 2 (cất mới nhà đại đoàn kết)",
             "poorHousehold", 60_000_000, 1, "2024-04-20",
             f"Quyết định số 09/QĐ-MTTQ ngày 05/04/2024 của {mttq}",
             "Nhà đại đoàn kết năm 2024")
    disburse("vnn-2024-006", VNN, "gift",
             "200 hộ nghèo, hộ khó khăn (gạo và nhu yếu phẩm mùa khô)",
             "poorHousehold", 40_000_000, 200, "2024-04-25",
             f"Quyết định số 10/QĐ-MTTQ ngày 22/04/2024 của {mttq}",
             "Hỗ trợ gạo, nhu yếu phẩm mùa khô 2024")
    disburse("vnn-2024-007", VNN, "gift",
             "150 hộ cận nghèo, hộ khó khăn (quà sau Lễ hội Vía Bà Chúa Xứ)",
             "nearPoorHousehold", 37_500_000, 150, "2024-06-10",
             f"Quyết định số 14/QĐ-MTTQ ngày 07/06/2024 của {mttq}",
             "Lễ hội Vía Bà Chúa Xứ Núi Sam 2024 – chia sẻ yêu thương")
    # The 30 cards of round 2 cost 16.380.000 đ; the clerk first types 16.830.000,
    # reverses it when the treasurer's voucher does not match, and records it again
    # with the day the money was paid.
    def bhyt_round_2(did, amount, entered=None):
        disburse(did, VNN, "healthInsurance",
                 "30 người thuộc hộ cận nghèo, hộ khó khăn chưa có thẻ BHYT",
                 "nearPoorHousehold", amount, 30, "2024-06-20",
                 f"Quyết định số 15/QĐ-MTTQ ngày 17/06/2024 của {mttq}",
                 "Cấp thẻ bảo hiểm y tế đợt 2 năm 2024", entered=entered)

    bhyt_round_2("vnn-2024-008", 16_830_000)
    f.reverse("DisbursementMade", "vnn-2024-008", WRONG_AMOUNT_REVERSED_ON,
              "Nhập sai số tiền: 16.830.000 đồng thay vì 16.380.000 đồng (30 thẻ × "
              "546.000 đồng theo Quyết định số 15/QĐ-MTTQ); ghi lại khoản chi "
              f"{CORRECTED_DISBURSEMENT} đúng số tiền.")
    bhyt_round_2(CORRECTED_DISBURSEMENT, 16_380_000, entered=WRONG_AMOUNT_REVERSED_ON)
    gift_remainder = 416_845_000 - (135_000_000 + 105_000_000 + 30_000_000
                                    + 40_000_000 + 37_500_000)
    disburse("vnn-2024-009", VNN, "gift",
             "237 hộ khó khăn đột xuất (tiền mặt, gạo và nhu yếu phẩm)",
             "poorHousehold", gift_remainder, 1507 - (450 + 350 + 120 + 200 + 150),
             "2024-07-15", f"Quyết định số 18/QĐ-MTTQ ngày 10/07/2024 của {mttq}",
             "Hỗ trợ hộ khó khăn đột xuất giữa năm 2024")
    disburse("vnn-2024-010", VNN, "housing",
             "Hộ ông Huỳnh Văn Sáu, khóm Vĩnh Đông 1 (sửa chữa nhà đại đoàn kết)",
             "poorHousehold", 40_000_000, 1, "2024-08-15",
             f"Quyết định số 21/QĐ-MTTQ ngày 01/08/2024 của {mttq}",
             "Nhà đại đoàn kết năm 2024")
    disburse("vnn-2024-011", VNN, "healthInsurance",
             "23 người thuộc hộ cận nghèo, hộ khó khăn chưa có thẻ BHYT",
             "nearPoorHousehold", 12_532_000, 23, "2024-09-10",
             f"Quyết định số 24/QĐ-MTTQ ngày 05/09/2024 của {mttq}",
             "Cấp thẻ bảo hiểm y tế đợt 3 năm 2024")

    # --- Quỹ "Đền ơn đáp nghĩa"
    pledge("cam-ket-dodn-2024-01", DODN, HOANG_PHUC, "business", 5_000_000,
           "2024-07-01", "2024-07-20")
    dodn = [
        ("2024-06-25", "Hội Cựu chiến binh phường Núi Sam", "organisation",
         2_000_000, None),
        ("2024-06-28", "Chùa Tây An (Tây An Cổ Tự)", "religiousBody", 5_000_000, None),
        ("2024-07-03", "Công đoàn cơ sở Ủy ban nhân dân phường Núi Sam",
         "organisation", 1_500_000, None),
        ("2024-07-08", "Doanh nghiệp tư nhân Mắm Hương Sen Châu Đốc", "business",
         3_000_000, None),
        ("2024-07-10", names.person(), "partyMember", 1_000_000, None),
        ("2024-07-10", names.person(), "partyMember", 1_000_000, None),
        ("2024-07-12", names.person(), "individual", 2_000_000, None),
        ("2024-07-15", HOANG_PHUC, "business", 5_000_000, "cam-ket-dodn-2024-01"),
    ]
    dodn.append(("2024-07-18", "Chi đoàn Ngân hàng Vietinbank Châu Đốc",
                 "organisation", 24_500_000 - sum(v[3] for v in dodn), None))
    for day, donor, kind, amount, pid in sorted(dodn, key=lambda v: v[0]):
        donation(DODN, day, nfc(donor), kind, amount, pid)
    disburse("dodn-2024-001", DODN, "gift",
             "76 gia đình chính sách (thân nhân liệt sĩ, thương binh, người có công)",
             "policyFamily", 76 * 300_000, 76, "2024-07-24",
             "Quyết định số 19/QĐ-MTTQ ngày 19/07/2024 của Ban Thường trực Ủy ban "
             "MTTQ Việt Nam phường Núi Sam",
             "Kỷ niệm 77 năm Ngày Thương binh – Liệt sĩ (27/7/1947 – 27/7/2024)")

    # --- Quỹ "Khuyến học – Khuyến tài": 400.000.000 received
    for day, donor, kind, amount in (
            ("2024-08-16", MIEU_BA, "religiousBody", 250_000_000),
            ("2024-08-23", VINH_TE, "business", 50_000_000),
            ("2024-08-30", DNT, "organisation", 40_000_000),
            ("2024-09-03", "Trần Văn Phúc (Việt kiều Úc)", "individual", 60_000_000)):
        donation(KH, day, nfc(donor), kind, amount)

    # --- external support (one record per figure of the article)
    hkh = "Hội Khuyến học phường Núi Sam"
    school = "Khai giảng năm học mới 2024 – 2025"
    external("khuyen-hoc/qua-hoc-sinh", hkh, school,
             "Vận động hỗ trợ 610 suất quà cho học sinh có hoàn cảnh khó khăn, trị giá "
             "133.251.000 đồng.", 610, 133_251_000, "2024-09-05",
             "Nhà hảo tâm, cơ sở tôn giáo và doanh nghiệp trong và ngoài phường")
    external("khuyen-hoc/hoc-bong", hkh, school,
             "Hỗ trợ 08 suất học bổng cho các em học sinh nghèo, số tiền 3.480.000 đồng.",
             8, 3_480_000, "2024-09-05", "Nhà hảo tâm")
    external("khuyen-hoc/quyen-tap", hkh, school,
             "Trao 2.000 quyển tập cho các trường trên địa bàn phường nhân dịp năm học "
             "mới (không ghi trị giá; 04 trường).", 4, 0, "2024-09-05", "Nhà hảo tâm")
    hpn = "Hội Phụ nữ phường Núi Sam"
    external("phu-nu/to-hun-von-bhyt", hpn, "Tổ hùn vốn xoay vòng mua bảo hiểm y tế",
             "Thành lập 04 tổ hùn vốn xoay vòng mua bảo hiểm y tế cho hội viên "
             "(khoảng 10 hội viên mỗi tổ; báo cáo không ghi số tiền).", 40, 0,
             "2024-03-08")
    external("phu-nu/504-phan-qua", hpn, "Trao tặng quà cho hội viên, phụ nữ khó khăn",
             "Trao tặng 504 phần quà với số tiền 78.430.000 đồng.", 504, 78_430_000,
             "2024-02-03", "Nhà hảo tâm, mạnh thường quân")
    external("phu-nu/me-do-dau", hpn, "Mẹ đỡ đầu",
             "Giới thiệu thực hiện chương trình “Mẹ đỡ đầu” cho 05 trẻ có cha mẹ mất do "
             "Covid-19, số tiền 20.900.000 đồng.", 5, 20_900_000, "2024-06-01")
    external("phu-nu/vay-quy-chau-a", hpn, "Giới thiệu vay vốn Quỹ Châu Á",
             "Giới thiệu 09 hội viên vay vốn từ nguồn quỹ Châu Á, số tiền 30.000.000 "
             "đồng.", 9, 30_000_000, "2024-05-15", "Quỹ Châu Á")
    dtn = "Đoàn Thanh niên phường Núi Sam"
    external("doan/den-nang-luong", dtn, "Công trình thanh niên: đèn năng lượng mặt trời",
             "Vận động lắp đặt 20 trụ đèn năng lượng mặt trời (01 công trình), số tiền "
             "30.000.000 đồng.", 1, 30_000_000, "2024-03-26", "Nhà hảo tâm")
    external("doan/do-dau-hoc-sinh", dtn, "Đỡ đầu học sinh",
             "Nhận hỗ trợ đỡ đầu 02 em học sinh, 200.000 đồng/tháng; ghi nhận 9 tháng "
             "(01–09/2024): 9 × 200.000 = 1.800.000 đồng.", 2, 1_800_000, "2024-09-30",
             "Nhà hảo tâm nhận đỡ đầu")
    external("doan/vietinbank-me-liet-si", dtn, "Tri ân mẹ liệt sĩ",
             "Giới thiệu Chi đoàn Ngân hàng Vietinbank Châu Đốc tặng quà và sổ tiết "
             "kiệm, tổng trị giá 15.500.000 đồng, cho 01 mẹ liệt sĩ.", 1, 15_500_000,
             "2024-07-25", "Chi đoàn Ngân hàng Vietinbank Châu Đốc")
    external("doan/may-cay", dtn, "Thanh niên phát triển kinh tế",
             "Giới thiệu 01 thanh niên vay vốn mô hình phát triển kinh tế: sửa chữa máy "
             "cày, số tiền 40.000.000 đồng.", 1, 40_000_000, "2024-04-10",
             "Ngân hàng Chính sách xã hội")
    external("doan/nghia-tinh-bien-gioi", dtn,
             "Nghĩa tình biên giới – Trao gửi yêu thương",
             "Phối hợp Thành Đoàn phát 50 phần quà, trị giá 700.000 đồng/phần, cho thiếu "
             "nhi có hoàn cảnh đặc biệt khó khăn (50 × 700.000 = 35.000.000 đồng).",
             50, 35_000_000, "2024-05-31", "Nhóm tình nguyện T&T – Hội LHTN Việt Nam")
    external("ubnd/honda-dau", "Ủy ban nhân dân phường Núi Sam",
             "Mô hình sinh kế “Honda đầu”",
             "Triển khai mô hình sinh kế “Honda đầu” cho 12 hộ, số tiền 240.000.000 đồng.",
             12, 240_000_000, "2024-08-20")
    return f


# ---------------------------------------------------------------- piggy bank

FUND_DB = "an-sinh-dang-bo"
MODEL = "ong-heo-2024"
STARTS = d("2024-05-19")
ENDS = d("2024-11-30")
TARGET = 1000

CELLS = [  # (cell, members, registration day)
    ("Chi bộ khóm Vĩnh Đông 1", 15, "2024-05-06"),
    ("Chi bộ khóm Vĩnh Đông 2", 14, "2024-05-07"),
    ("Chi bộ khóm Vĩnh Tây 1", 16, "2024-05-08"),
    ("Chi bộ khóm Vĩnh Tây 2", 13, "2024-05-09"),
    ("Chi bộ khóm Vĩnh Tây 3", 12, "2024-05-10"),
    ("Chi bộ khóm Vĩnh Phước", 11, "2024-05-13"),
    ("Chi bộ Cơ quan phường", 17, "2024-05-14"),
    ("Chi bộ Quân sự phường", 10, "2024-05-15"),
    ("Chi bộ Công an phường", 12, "2024-05-17"),
]
JOINERS = [  # (cell, enrolledOn) for members enrolled during the period
    ("Chi bộ khóm Vĩnh Tây 1", "2024-06-20"),
    ("Chi bộ Cơ quan phường", "2024-07-15"),
    ("Chi bộ khóm Vĩnh Đông 2", "2024-08-28"),
    ("Chi bộ Công an phường", "2024-10-07"),
]
# A deposit typed for the wrong member (dv-054 for dv-045, the same cell), reversed.
MISTYPED_MEMBER, TYPED_AS_MEMBER = "dv-045", "dv-054"
MISTYPED_ON, MISTYPED_REVERSED_ON = "2024-08-17", "2024-08-20"
LEAVERS = [  # (memberId, leftOn, reason)
    ("dv-034", "2024-07-31", "Chuyển sinh hoạt đảng chính thức về Đảng bộ phường "
                             "Vĩnh Mỹ, thành phố Châu Đốc."),
    ("dv-109", "2024-09-16", "Chuyển công tác ra khỏi địa bàn phường."),
    ("dv-067", "2024-10-21", "Chuyển sinh hoạt đảng về nơi cư trú mới."),
]


def month_end(day):
    nxt = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return nxt - datetime.timedelta(days=1)


def hand_in_days(first, last, cadence):
    """Business days on which a member hands in money, within [first, last]."""
    days = []
    if cadence == "weekly":
        day = STARTS + datetime.timedelta(days=6)  # Saturdays, 7-day weeks of the model
        while day < first:
            day += datetime.timedelta(days=7)
        while day <= last:
            days.append(day)
            day += datetime.timedelta(days=7)
    else:
        day = month_end(first)
        while day <= last:
            days.append(day)
            day = month_end(day + datetime.timedelta(days=1))
    if not days or days[-1] != last:
        days.append(last)
    return days


def round_up(x, step):
    return -(-x // step) * step


def build_piggy(rng):
    f = File(PIGGY_FILE)
    names = Names(rng, NFD_MEMBERS.values())
    members = []  # dicts: id, name, cell, enrolled, left
    n = 0
    for cell, size, reg_day in CELLS:
        joiners_here = sum(1 for c, _ in JOINERS if c == cell)
        for _ in range(size - joiners_here):
            n += 1
            members.append({"id": f"dv-{n:03d}", "cell": cell, "enrolled": reg_day})
    for cell, day in JOINERS:
        n += 1
        members.append({"id": f"dv-{n:03d}", "cell": cell, "enrolled": day})
    assert n == 120, n
    left = {mid: (day, reason) for mid, day, reason in LEAVERS}
    for m in members:
        m["name"] = NFD_MEMBERS.get(m["id"]) or names.person()
        m["left"] = left.get(m["id"], (None, None))[0]

    # fund and model
    f.add("FundOpened", iso(STARTS), FUND_DB, {
        "fundId": FUND_DB, "name": "Quỹ chăm lo an sinh xã hội của Đảng bộ phường",
        "openedOn": iso(STARTS), "openingBalance": 0,
        "purpose": "Nguồn thu từ mô hình “mỗi đảng viên bỏ ống heo tiết kiệm ít nhất "
                   "1.000đ/ngày”; Ban Thường vụ Đảng ủy phường quyết định nội dung chi "
                   "chăm lo an sinh xã hội trên địa bàn phường."})
    f.add("PiggyBankModelStarted", iso(STARTS), MODEL, {
        "modelId": MODEL,
        "name": "Mô hình “Ống heo tiết kiệm” – mỗi đảng viên ít nhất 1.000đ/ngày",
        "fundId": FUND_DB, "startsOn": iso(STARTS), "endsOn": iso(ENDS),
        "dailyTarget": TARGET})

    for m in members:
        full_name = m["name"]
        if m["id"] in NFD_MEMBERS:
            full_name = unicodedata.normalize("NFD", full_name)
            assert full_name != nfc(full_name)
        f.add("MemberEnrolled", m["enrolled"], m["id"], {
            "memberId": m["id"], "fullName": full_name, "cell": m["cell"],
            "enrolledOn": m["enrolled"]})
    for mid, day, reason in LEAVERS:
        f.add("MemberLeft", day, mid, {"memberId": mid, "leftOn": day, "reason": reason})

    # behaviour classes
    leaver_ids = set(left)
    joiner_ids = {m["id"] for m in members if d(m["enrolled"]) >= STARTS}
    regular = [m["id"] for m in members
               if m["id"] not in leaver_ids and m["id"] not in joiner_ids]
    rng.shuffle(regular)
    behaviour = {}
    for i, mid in enumerate(regular):
        if i < 3:
            behaviour[mid] = "never"
        elif i < 21:
            behaviour[mid] = "short"
        elif i < 35:
            behaviour[mid] = "generous"
        else:
            behaviour[mid] = "onTarget"
    for mid in sorted(leaver_ids | joiner_ids):
        behaviour[mid] = "onTarget"
    late_short = sorted(joiner_ids)[1]
    behaviour[late_short] = "short"
    mistyped = []

    for m in members:
        kind = behaviour[m["id"]]
        if kind == "never":
            continue
        first = max(STARTS, d(m["enrolled"]))
        last = ENDS if m["left"] is None else min(ENDS, d(m["left"]) - datetime.timedelta(days=1))
        cadence = "weekly" if rng.random() < 0.62 else "monthly"
        step = rng.choice([1000, 1000, 1000, 5000]) if kind != "short" else 1000
        rate = {"onTarget": 1000, "generous": rng.choice([1500, 1500, 2000, 2000, 3000]),
                "short": rng.choice([1000, 1000, 500])}[kind]
        skip = 0.0
        if kind == "short" and rate == 1000:
            skip = rng.choice([0.25, 0.35, 0.5])
        prev = first - datetime.timedelta(days=1)
        deposits = []
        for day in hand_in_days(first, last, cadence):
            days = (day - prev).days
            prev = day
            amount = round_up(days * rate, step)
            if kind == "onTarget" and rng.random() < 0.08:
                amount += rng.choice([2000, 5000, 10000])  # a little extra now and then
            if skip and rng.random() < skip:
                continue
            deposits.append([day, amount])
        if kind == "generous" and rng.random() < 0.5 and deposits:
            deposits[len(deposits) // 2][1] += rng.choice([50_000, 100_000, 200_000])
        if kind == "short":
            enrolled_days = (last - first).days + 1
            if deposits and sum(a for _, a in deposits) >= enrolled_days * TARGET:
                deposits.pop(len(deposits) // 2)  # missed one hand-in at least
        for day, amount in deposits:
            key = f"{m['id']}/{iso(day)}"
            data = {"modelId": MODEL, "memberId": m["id"], "amount": amount,
                    "depositedOn": iso(day)}
            if (m["id"], iso(day)) != (MISTYPED_MEMBER, MISTYPED_ON):
                f.add("PiggyBankDeposited", iso(day), key, data)
                continue
            # The cell's collector types this hand-in under the member whose id has the
            # same digits the other way round; at the next check of the cell's list the
            # entry is reversed and recorded for the member who paid, on the day paid.
            wrong = f"{TYPED_AS_MEMBER}/{iso(day)}/nhap-nham"
            f.add("PiggyBankDeposited", iso(day), wrong, dict(data, memberId=TYPED_AS_MEMBER))
            f.reverse("PiggyBankDeposited", wrong, MISTYPED_REVERSED_ON,
                      f"Ghi nhầm khoản nộp ngày {day.strftime('%d/%m/%Y')} của đảng viên "
                      f"{MISTYPED_MEMBER} sang {TYPED_AS_MEMBER}; ghi lại cho {MISTYPED_MEMBER}.")
            f.add("PiggyBankDeposited", iso(day), key, data, entered=MISTYPED_REVERSED_ON)
            mistyped.append(key)
    if len(mistyped) != 1:
        raise SystemExit(f"{MISTYPED_MEMBER} has no deposit on {MISTYPED_ON} to mistype")

    f.add("PiggyBankModelClosed", iso(ENDS), MODEL, {
        "modelId": MODEL, "closedOn": iso(ENDS),
        "decisionRef": "Nghị quyết số 68-NQ/ĐU ngày 30/11/2024 của Ban Thường vụ Đảng "
                       "ủy phường Núi Sam về kết thúc mô hình “Ống heo tiết kiệm” và "
                       "sử dụng kinh phí chăm lo an sinh xã hội"})
    return f


# ---------------------------------------------------------------- replay

# What `EntryReversed` may cancel (ansinh's EventType.isReversible), and the field that
# dates each type (its business date; a reversal's is its own date).
REVERSIBLE = {"MemberLeft", "PledgeMade", "PledgeCancelled", "DonationReceived",
              "PiggyBankDeposited", "PiggyBankModelClosed", "DisbursementMade",
              "ExternalSupportRecorded"}
DATED_BY = {"FundOpened": "openedOn", "MemberEnrolled": "enrolledOn", "MemberLeft": "leftOn",
            "PledgeMade": "pledgedOn", "PledgeCancelled": "cancelledOn",
            "DonationReceived": "receivedOn", "PiggyBankModelStarted": "startsOn",
            "PiggyBankDeposited": "depositedOn", "PiggyBankModelClosed": "closedOn",
            "DisbursementMade": "disbursedOn", "ExternalSupportRecorded": "recordedOn",
            "EntryReversed": "reversedOn"}


class Books:
    """The generated lines folded in import order, as ansinh folds them into an empty
    store (position 1 is the first line of the first file), under the catalogue's
    rules: a line ansinh would refuse stops the generator.

    Money moves on its business date and a reversal of money on its own date; no fund
    may be below 0 at the end of any date, counting every line folded so far."""

    def __init__(self):
        self.funds, self.pledges, self.members, self.models = {}, {}, {}, {}
        self.disbursement_ids = set()
        self.events = {}      # eventId -> the line, its position, stream, reversal
        self.by_type = {}
        self.movements = []   # money in or out of a fund, see `move`
        self.rows = []        # member history rows: deposits and their reversals
        self.external = []
        self.reversals = []
        self.position = 0
        self.where = ""
        self.current = None   # the line being folded

    def fail(self, message):
        raise SystemExit(f"{self.where}: {message}")

    def fold(self, fname, lines):
        handlers = {
            "FundOpened": self.fund_opened, "MemberEnrolled": self.member_enrolled,
            "MemberLeft": self.member_left, "PledgeMade": self.pledge_made,
            "PledgeCancelled": self.pledge_cancelled, "DonationReceived": self.donation,
            "PiggyBankModelStarted": self.model_started, "PiggyBankDeposited": self.deposit,
            "PiggyBankModelClosed": self.model_closed, "DisbursementMade": self.disbursement,
            "ExternalSupportRecorded": self.external_support, "EntryReversed": self.reversal,
        }
        for no, line in enumerate(lines, 1):
            self.where = f"{fname}:{no}"
            self.position += 1
            t, data, eid = line["type"], line["data"], line["eventId"]
            if eid in self.events:
                self.fail("duplicate eventId")
            if t not in handlers:
                self.fail(f"unexpected type {t}")
            for obj in [data] + [data[k] for k in ("donor", "beneficiary") if k in data]:
                for k, v in obj.items():
                    if isinstance(v, str) and k != "fullName" and v != nfc(v):
                        self.fail(f"{k} is not NFC")
            self.current = {"type": t, "data": data, "eventId": eid, "position": self.position,
                            "date": data[DATED_BY[t]], "reversedBy": None}
            self.current["stream"] = handlers[t](data)
            self.events[eid] = self.current
            self.by_type[t] = self.by_type.get(t, 0) + 1

    # --- rules every line passes (ansinh's Rules.swift)

    def fund_open_on(self, fund_id, day):
        fund = self.funds.get(fund_id)
        if fund is None:
            self.fail(f"unknown fund {fund_id}")
        if day < fund["openedOn"]:
            self.fail(f"{fund_id} is not open on {day}")
        return fund

    def move(self, fund_id, day, kind, amount, count, source, purpose=None, quantity=0,
             reverses=None):
        """Money into (kind "in") or out of a fund dated `day`; a reversal has count -1
        and takes its entry's amount and quantity away."""
        self.movements.append({
            "fundId": fund_id, "date": day, "kind": kind, "source": source,
            "purpose": purpose, "quantity": quantity * count, "amount": amount * count,
            "count": count, "net": amount * count * (1 if kind == "in" else -1),
            "position": self.position, "reversesPosition": reverses,
            "type": "EntryReversed" if reverses else self.current["type"]})
        if self.movements[-1]["net"] < 0:
            self.never_below_zero(fund_id, day)

    def never_below_zero(self, fund_id, day):
        """The fund's balance at the end of `day` and of every later date is ≥ 0."""
        for date, balance in self.day_balances(fund_id):
            if date >= day and balance < 0:
                self.fail(f"{fund_id} would be at {vnd(balance)} đ on {date}")

    def day_balances(self, fund_id):
        by_day = {}
        for m in self.movements:
            if m["fundId"] == fund_id:
                by_day[m["date"]] = by_day.get(m["date"], 0) + m["net"]
        balance, out = self.funds[fund_id]["opening"], []
        for date in sorted(by_day):
            balance += by_day[date]
            out.append((date, balance))
        return out

    def balance(self, fund_id, through=None):
        fund = self.funds[fund_id]
        if through is not None and fund["openedOn"] > through:
            return 0
        return fund["opening"] + sum(m["net"] for m in self.movements if m["fundId"] == fund_id
                                     and (through is None or m["date"] <= through))

    # --- one handler per type; each returns the event's stream

    def fund_opened(self, data):
        if data["fundId"] in self.funds:
            self.fail("fund exists")
        self.funds[data["fundId"]] = {"name": data["name"], "openedOn": data["openedOn"],
                                      "opening": data.get("openingBalance", 0)}
        return "fund-" + data["fundId"]

    def member_enrolled(self, data):
        if data["memberId"] in self.members:
            self.fail("member exists")
        self.members[data["memberId"]] = {"name": nfc(data["fullName"]), "cell": data["cell"],
                                          "enrolled": data["enrolledOn"], "left": None,
                                          "lastDepositOn": None}
        return "member-" + data["memberId"]

    def member_left(self, data):
        m = self.members.get(data["memberId"])
        if m is None or m["left"] or data["leftOn"] < m["enrolled"]:
            self.fail("bad leave")
        if m["lastDepositOn"] and data["leftOn"] <= m["lastDepositOn"]:
            self.fail("the member has a deposit on or after the leaving date")
        m["left"] = data["leftOn"]
        return "member-" + data["memberId"]

    def pledge_made(self, data):
        if data["pledgeId"] in self.pledges:
            self.fail("pledge exists")
        self.fund_open_on(data["fundId"], data["pledgedOn"])
        self.pledges[data["pledgeId"]] = dict(data, received=0, donations=0, cancelled=None,
                                              voided=False)
        return "pledge-" + data["pledgeId"]

    def pledge_cancelled(self, data):
        p = self.pledges.get(data["pledgeId"])
        if p is None or p["cancelled"] or p["voided"] or data["cancelledOn"] < p["pledgedOn"]:
            self.fail("bad cancellation")
        p["cancelled"] = data["cancelledOn"]
        return "pledge-" + data["pledgeId"]

    def donation(self, data, count=1, day=None, reverses=None):
        self.fund_open_on(data["fundId"], data["receivedOn"])
        if "pledgeId" in data:
            p = self.pledges.get(data["pledgeId"])
            if count == 1 and (p is None or p["cancelled"] or p["voided"]
                               or p["fundId"] != data["fundId"]
                               or data["receivedOn"] < p["pledgedOn"]):
                self.fail("bad pledge reference")
            p["received"] += data["amount"] * count
            p["donations"] += count
        self.move(data["fundId"], day or data["receivedOn"], "in", data["amount"], count,
                  "donation", reverses=reverses)
        return "fund-" + data["fundId"]

    def model_started(self, data):
        if data["modelId"] in self.models:
            self.fail("model exists")
        self.fund_open_on(data["fundId"], data["startsOn"])
        self.models[data["modelId"]] = dict(data, closed=None, lastDepositOn=None)
        return "model-" + data["modelId"]

    def deposit(self, data, count=1, day=None, reverses=None):
        mo, m = self.models.get(data["modelId"]), self.members.get(data["memberId"])
        on = data["depositedOn"]
        if count == 1:
            if mo is None or m is None or mo["closed"]:
                self.fail("bad deposit reference")
            if not mo["startsOn"] <= on <= mo["endsOn"]:
                self.fail("deposit outside the period")
            if not (m["enrolled"] <= on and (m["left"] is None or on < m["left"])):
                self.fail("member not enrolled on that day")
            # reversed deposits included, as ansinh keeps them
            mo["lastDepositOn"] = max(mo["lastDepositOn"] or on, on)
            m["lastDepositOn"] = max(m["lastDepositOn"] or on, on)
        self.rows.append({"memberId": data["memberId"], "modelId": data["modelId"],
                          "position": self.position, "date": day or on,
                          "amount": data["amount"] * count, "count": count,
                          "reversesPosition": reverses})
        self.move(mo["fundId"], day or on, "in", data["amount"], count, "deposit",
                  reverses=reverses)
        return "fund-" + mo["fundId"]

    def model_closed(self, data):
        mo = self.models.get(data["modelId"])
        if mo is None or mo["closed"] or data["closedOn"] < mo["startsOn"]:
            self.fail("bad close")
        if mo["lastDepositOn"] and data["closedOn"] < mo["lastDepositOn"]:
            self.fail("the model has a deposit after its closing date")
        mo["closed"] = data["closedOn"]
        return "model-" + data["modelId"]

    def disbursement(self, data, count=1, day=None, reverses=None):
        if count == 1:
            if data["disbursementId"] in self.disbursement_ids:
                self.fail("disbursement exists")
            self.disbursement_ids.add(data["disbursementId"])
        self.fund_open_on(data["fundId"], data["disbursedOn"])
        self.move(data["fundId"], day or data["disbursedOn"], "out", data["amount"], count,
                  "disbursement", data["purpose"], data["quantity"], reverses=reverses)
        return "fund-" + data["fundId"]

    def external_support(self, data):
        self.external.append(data)
        return "external-support"

    def reversal(self, data):
        original = self.events.get(data["reversesEventId"])
        if original is None:
            self.fail("the reversed entry is not recorded")
        if original["type"] not in REVERSIBLE:
            self.fail(f"{original['type']} cannot be reversed")
        if original["reversedBy"]:
            self.fail("the entry is already reversed")
        day = data["reversedOn"]
        if day < original["date"]:
            self.fail("a reversal cannot be dated before its entry")
        money = {"DonationReceived": self.donation, "PiggyBankDeposited": self.deposit,
                 "DisbursementMade": self.disbursement}
        if original["type"] not in money:
            # Reversals of a status or of external support are for ansinh's own tests.
            self.fail(f"the demo does not reverse {original['type']}")
        money[original["type"]](original["data"], count=-1, day=day,
                                reverses=original["position"])
        original["reversedBy"] = self.position
        self.reversals.append({
            "position": self.position, "eventId": self.current["eventId"],
            "stream": original["stream"], "reversedOn": day, "reason": data["reason"],
            "reversesPosition": original["position"], "reversesEventId": original["eventId"],
            "reversesType": original["type"], "reversesDate": original["date"]})
        return original["stream"]


def purpose_totals(rows):
    """Per purpose: count (events less reversals), quantity and amount."""
    out = {}
    for purpose in sorted({r["purpose"] for r in rows}):
        sel = [r for r in rows if r["purpose"] == purpose]
        out[purpose] = {"count": sum(r["count"] for r in sel),
                        "quantity": sum(r["quantity"] for r in sel),
                        "amount": sum(r["amount"] for r in sel)}
    return out


def money_totals(rows, source):
    sel = [r for r in rows if r["source"] == source]
    return {"count": sum(r["count"] for r in sel), "amount": sum(r["amount"] for r in sel)}


def period_report(books, frm, to):
    """ansinh's period report: opening = opening balance + everything dated before
    `from`; the rest dated in [from, to]."""
    funds = {}
    for fid, f in books.funds.items():
        if f["openedOn"] > to:
            continue
        before = [m for m in books.movements if m["fundId"] == fid and m["date"] < frm]
        inside = [m for m in books.movements if m["fundId"] == fid and frm <= m["date"] <= to]
        opening = f["opening"] + sum(m["net"] for m in before)
        ins = [m for m in inside if m["kind"] == "in"]
        outs = [m for m in inside if m["kind"] == "out"]
        received, paid = sum(m["amount"] for m in ins), sum(m["amount"] for m in outs)
        funds[fid] = {"name": f["name"], "openedOn": f["openedOn"], "opening": opening,
                      "received": received, "receivedCount": sum(m["count"] for m in ins),
                      "donations": money_totals(ins, "donation"),
                      "deposits": money_totals(ins, "deposit"),
                      "disbursed": purpose_totals(outs), "disbursedTotal": paid,
                      "closing": opening + received - paid}
    recs = [e for e in books.external if frm <= e["recordedOn"] <= to]
    by_org = {}
    for e in recs:
        o = by_org.setdefault(e["organisation"], {"count": 0, "beneficiaries": 0, "value": 0})
        o["count"] += 1
        o["beneficiaries"] += e["beneficiaries"]
        o["value"] += e["value"]
    return {"from": frm, "to": to, "isClosed": False, "funds": funds,
            "externalSupport": {
                "count": len(recs), "beneficiaries": sum(e["beneficiaries"] for e in recs),
                "value": sum(e["value"] for e in recs),
                "byOrganisation": dict(sorted(by_org.items())),
                "records": sorted(recs, key=lambda e: (e["recordedOn"], e["organisation"],
                                                       e["programme"]))}}


def register(books, fid):
    """ansinh's fund register: by date, money in before money out within a day, then by
    position; a reversal on its own date. Its rows of corrections: the reversals and
    the entries they reverse."""
    f = books.funds[fid]
    rows = [{"position": e["position"], "date": f["openedOn"], "type": "FundOpened",
             "amount": f["opening"], "reversesPosition": None}
            for e in books.events.values() if e["type"] == "FundOpened"
            and e["data"]["fundId"] == fid]
    rows += [{"position": m["position"], "date": m["date"], "type": m["type"],
              "amount": m["net"], "reversesPosition": m["reversesPosition"]}
             for m in books.movements if m["fundId"] == fid]
    rows.sort(key=lambda r: (r["date"], 1 if r["amount"] < 0 else 0, r["position"]))
    balance = lowest = 0
    for r in rows:
        balance += r["amount"]
        r["runningBalance"] = balance
        lowest = min(lowest, balance)
    touched = {r["reversesPosition"] for r in rows if r["reversesPosition"]}
    return {"entries": len(rows), "closingBalance": balance, "lowestRunningBalance": lowest,
            "corrections": [r for r in rows if r["reversesPosition"] or r["position"] in touched]}


def fund_balances(books):
    out = {}
    for fid, f in books.funds.items():
        rows = [m for m in books.movements if m["fundId"] == fid]
        ins = [m for m in rows if m["kind"] == "in"]
        outs = [m for m in rows if m["kind"] == "out"]
        fp = [p for p in books.pledges.values() if p["fundId"] == fid]
        live = [p for p in fp if not p["cancelled"] and not p["voided"]]
        out[fid] = {
            "name": f["name"], "openedOn": f["openedOn"], "opening": f["opening"],
            "received": sum(m["amount"] for m in ins),
            "donations": money_totals(ins, "donation"), "deposits": money_totals(ins, "deposit"),
            "pledged": sum(p["amount"] for p in live),
            "pledgedIncludingCancelled": sum(p["amount"] for p in fp),
            "outstandingPledges": sum(max(0, p["amount"] - p["received"]) for p in live),
            "disbursed": purpose_totals(outs),
            "disbursedTotal": sum(m["amount"] for m in outs),
            "balance": books.balance(fid),
            "register": register(books, fid),
        }
    return out


def pledge_figures(books):
    out = {}
    for pid, p in books.pledges.items():
        live = not p["cancelled"] and not p["voided"]
        status = ("cancelled" if p["cancelled"] else "reversed" if p["voided"]
                  else "met" if p["received"] >= p["amount"] else "outstanding")
        out[pid] = {
            "fundId": p["fundId"], "donor": p["donor"], "amount": p["amount"],
            "pledgedOn": p["pledgedOn"], "dueOn": p.get("dueOn"),
            "received": p["received"], "donations": p["donations"],
            "cancelledOn": p["cancelled"], "reversed": p["voided"], "status": status,
            "outstanding": max(0, p["amount"] - p["received"]) if live else 0,
            "surplus": max(0, p["received"] - p["amount"])}
    return out


def enrolled_days(member, start, through):
    lo = max(d(start), d(member["enrolled"]))
    hi = d(through)
    if member["left"] is not None:
        hi = min(hi, d(member["left"]) - datetime.timedelta(days=1))
    return max(0, (hi - lo).days + 1)


def piggy_summary(books, model_id, as_of=None):
    """ansinh's piggy-bank summary; with `as_of`, the deposits dated up to it less the
    reversals dated up to it, and savings expected up to it."""
    mo = books.models[model_id]
    last_counted = min(mo["closed"], mo["endsOn"]) if mo["closed"] else mo["endsOn"]
    through = min(last_counted, as_of) if as_of else last_counted
    per_member = {}
    for mid, m in books.members.items():
        rows = [r for r in books.rows if r["memberId"] == mid and r["modelId"] == model_id
                and (as_of is None or r["date"] <= as_of)]
        days = enrolled_days(m, mo["startsOn"], through)
        count = sum(r["count"] for r in rows)
        if days > 0 or count > 0:
            per_member[mid] = {"days": days, "expected": days * mo["dailyTarget"],
                               "collected": sum(r["amount"] for r in rows), "deposits": count}
    cells, below = {}, []
    for mid, pm in per_member.items():
        m = books.members[mid]
        c = cells.setdefault(m["cell"], {"members": 0, "participating": 0, "deposits": 0,
                                         "collected": 0, "expected": 0, "belowTarget": 0,
                                         "shortfall": 0})
        c["members"] += 1
        c["participating"] += pm["deposits"] > 0
        c["deposits"] += pm["deposits"]
        c["collected"] += pm["collected"]
        c["expected"] += pm["expected"]
        if pm["collected"] < pm["expected"]:
            c["belowTarget"] += 1
            c["shortfall"] += pm["expected"] - pm["collected"]
            below.append({"memberId": mid, "fullName": m["name"], "cell": m["cell"],
                          "enrolledDays": pm["days"], "expected": pm["expected"],
                          "deposited": pm["collected"],
                          "shortfall": pm["expected"] - pm["collected"]})
    below.sort(key=lambda b: (-b["shortfall"], b["memberId"]))  # as ansinh lists them
    collected = sum(pm["collected"] for pm in per_member.values())
    expected = sum(pm["expected"] for pm in per_member.values())
    basis_points = collected * 10_000 // expected if expected > 0 and collected >= 0 else 0
    enrolled = [books.members[mid] for mid in per_member]
    participating = sum(1 for pm in per_member.values() if pm["deposits"] > 0)
    return {
        "modelId": model_id, "name": mo["name"], "fundId": mo["fundId"],
        "startsOn": mo["startsOn"], "endsOn": mo["endsOn"], "closedOn": mo["closed"],
        "dailyTarget": mo["dailyTarget"], "asOf": as_of, "countedThrough": through,
        "periodDays": (d(mo["endsOn"]) - d(mo["startsOn"])).days + 1,
        "membersEnrolled": len(per_member),
        "membersEnrolledBeforeStart": sum(1 for m in enrolled if m["enrolled"] < mo["startsOn"]),
        "membersJoinedDuringPeriod": sum(1 for m in enrolled if m["enrolled"] >= mo["startsOn"]),
        "membersLeftDuringPeriod": sum(1 for m in enrolled
                                       if m["left"] is not None and m["left"] <= through),
        "membersParticipating": participating,
        "membersNeverDeposited": len(per_member) - participating,
        "deposits": sum(pm["deposits"] for pm in per_member.values()),
        "totalCollected": collected,
        "expectedAtTarget": expected,
        # ansinh's attainment: hundredths of a percent, rounded down
        "attainmentBasisPoints": basis_points,
        "attainmentPercent": f"{basis_points // 100}.{basis_points % 100:02d}",
        "membersAtOrAboveTarget": len(per_member) - len(below),
        "membersBelowTarget": len(below),
        "totalShortfall": sum(b["shortfall"] for b in below),
        "belowTarget": below,
        "perCell": dict(sorted(cells.items())),
        "fundBalance": books.balance(mo["fundId"], as_of),
    }


def cell_figures(books):
    """ansinh's `cells`: members now and ever, and their deposits (less reversals)."""
    cells = {}
    for mid, m in sorted(books.members.items()):
        c = cells.setdefault(m["cell"], {"membersNow": 0, "membersEver": 0, "deposits": 0,
                                         "deposited": 0})
        c["membersEver"] += 1
        c["membersNow"] += m["left"] is None
        rows = [r for r in books.rows if r["memberId"] == mid]
        c["deposits"] += sum(r["count"] for r in rows)
        c["deposited"] += sum(r["amount"] for r in rows)
    return dict(sorted(cells.items()))


def member_history(books, mid):
    """ansinh's member history: rows by date then position (a reversal on its own date),
    running total, distinct days with a deposit that stands, days covered."""
    m = books.members[mid]
    reversed_positions = {r["reversesPosition"] for r in books.rows if r["reversesPosition"]}
    rows = sorted((r for r in books.rows if r["memberId"] == mid),
                  key=lambda r: (r["date"], r["position"]))
    total, out, days, last, per_model = 0, [], set(), None, {}
    for r in rows:
        total += r["amount"]
        per_model[r["modelId"]] = per_model.get(r["modelId"], 0) + r["amount"]
        out.append({"position": r["position"], "depositedOn": r["date"], "amount": r["amount"],
                    "reversed": r["position"] in reversed_positions,
                    "reversesPosition": r["reversesPosition"], "runningTotal": total})
        if not r["reversesPosition"] and r["position"] not in reversed_positions:
            days.add(r["date"])
            last = r["date"]
    history = {"fullName": m["name"], "cell": m["cell"], "enrolledOn": m["enrolled"],
               "leftOn": m["left"], "total": total, "depositDays": len(days),
               "daysCovered": sum(t // books.models[mo]["dailyTarget"]
                                  for mo, t in per_model.items()),
               "lastDepositOn": last, "rowCount": len(out)}
    return history, out


def replay(files, histories=(), as_of=None):
    """Fold the generated lines under the catalogue's rules and compute the expected
    figures. `files` is a list of (file name, lines), folded in that order; the members
    in `histories` get their whole history, row by row; `as_of`, a date for a second
    piggy-bank summary."""
    books = Books()
    for fname, lines in files:
        books.fold(fname, lines)
    result = {
        "events": {"total": books.position, "byType": dict(sorted(books.by_type.items()))},
        "periodReport": period_report(books, PERIOD_FROM, PERIOD_TO),
        "periodReportAfterOpening": period_report(books, LATER_PERIOD_FROM, PERIOD_TO),
        "fundBalancesAtEnd": fund_balances(books),
        "pledges": pledge_figures(books),
        "reversals": books.reversals,
    }
    if books.members:
        result["cells"] = cell_figures(books)
        result["memberHistories"] = {mid: member_history(books, mid)[0]
                                     for mid in sorted(books.members)}
        result["memberDeposits"] = {mid: member_history(books, mid)[1] for mid in histories}
    for model_id in books.models:
        result["piggyBankModel"] = piggy_summary(books, model_id)
        if as_of:
            result["piggyBankModelAsOf"] = piggy_summary(books, model_id, as_of)
    return result


# ---------------------------------------------------------------- article checks

def article_checks(r):
    """Every figure of the article, as (text, computed, expected)."""
    pr = r["periodReport"]
    F = pr["funds"]
    ext = {(e["organisation"], e["description"][:40]): e for e in
           pr["externalSupport"]["records"]}

    def rec(org, starts):
        hits = [e for (o, desc), e in ext.items() if o == org and desc.startswith(starts)]
        assert len(hits) == 1, (org, starts)
        return hits[0]

    v, dd, kh = F[VNN], F[DODN], F[KH]
    hpn, dtn, hkh = ("Hội Phụ nữ phường Núi Sam", "Đoàn Thanh niên phường Núi Sam",
                     "Hội Khuyến học phường Núi Sam")
    checks = [
        ("Quỹ “Vì người nghèo” vận động được 624.845.000 đồng", v["received"], 624_845_000),
        ("02 căn nhà đại đoàn kết", v["disbursed"]["housing"]["quantity"], 2),
        ("… với số tiền 100.000.000 đồng", v["disbursed"]["housing"]["amount"], 100_000_000),
        ("tặng quà 1.507 lượt", v["disbursed"]["gift"]["quantity"], 1507),
        ("… với số tiền 416.845.000 đồng", v["disbursed"]["gift"]["amount"], 416_845_000),
        ("cấp phát 93 thẻ BHYT", v["disbursed"]["healthInsurance"]["quantity"], 93),
        ("… với số tiền 50.752.000 đồng", v["disbursed"]["healthInsurance"]["amount"],
         50_752_000),
        ("(derived) Quỹ “Vì người nghèo” closing balance", v["closing"], 57_248_000),
        ("Quỹ “Đền ơn đáp nghĩa” vận động được 24.500.000 đồng", dd["received"], 24_500_000),
        ("tặng 76 phần quà cho gia đình chính sách", dd["disbursed"]["gift"]["quantity"], 76),
        ("(assumed) 76 × 300.000", dd["disbursed"]["gift"]["amount"], 22_800_000),
        ("610 suất quà cho học sinh",
         rec(hkh, "Vận động hỗ trợ 610")["beneficiaries"], 610),
        ("… trị giá 133.251.000đ", rec(hkh, "Vận động hỗ trợ 610")["value"], 133_251_000),
        ("08 suất học bổng", rec(hkh, "Hỗ trợ 08 suất")["beneficiaries"], 8),
        ("… 3.480.000 đồng", rec(hkh, "Hỗ trợ 08 suất")["value"], 3_480_000),
        ("2.000 quyển tập", int("2.000 quyển tập" in rec(hkh, "Trao 2.000")["description"]), 1),
        ("tiếp nhận 400 triệu đồng vào Quỹ “Khuyến học-Khuyến tài”", kh["received"],
         400_000_000),
        ("… nâng tổng quỹ 611.300.000 đồng", kh["closing"], 611_300_000),
        ("04 tổ hùn vốn xoay vòng mua BHYT",
         int(rec(hpn, "Thành lập 04 tổ")["value"] == 0), 1),
        ("trao tặng 504 phần quà", rec(hpn, "Trao tặng 504")["beneficiaries"], 504),
        ("… 78.430.000đ", rec(hpn, "Trao tặng 504")["value"], 78_430_000),
        ("“Mẹ đỡ đầu” cho 05 trẻ", rec(hpn, "Giới thiệu thực hiện")["beneficiaries"], 5),
        ("… 20.900.000đ", rec(hpn, "Giới thiệu thực hiện")["value"], 20_900_000),
        ("09 hội viên vay vốn quỹ Châu Á", rec(hpn, "Giới thiệu 09")["beneficiaries"], 9),
        ("… 30.000.000đ", rec(hpn, "Giới thiệu 09")["value"], 30_000_000),
        ("20 trụ đèn năng lượng … 30.000.000đ", rec(dtn, "Vận động lắp đặt 20")["value"],
         30_000_000),
        ("đỡ đầu 02 em học sinh", rec(dtn, "Nhận hỗ trợ đỡ đầu")["beneficiaries"], 2),
        ("… 200.000đ/tháng × 9 tháng (assumed)", rec(dtn, "Nhận hỗ trợ đỡ đầu")["value"],
         1_800_000),
        ("Vietinbank … 15.500.000đ cho 01 mẹ liệt sĩ",
         rec(dtn, "Giới thiệu Chi đoàn")["value"], 15_500_000),
        ("01 thanh niên sửa chữa máy cày 40.000.000 đồng",
         rec(dtn, "Giới thiệu 01 thanh niên")["value"], 40_000_000),
        ("50 phần quà trị giá 700.000đ/phần", rec(dtn, "Phối hợp Thành Đoàn")["value"],
         50 * 700_000),
        ("… 50 phần quà", rec(dtn, "Phối hợp Thành Đoàn")["beneficiaries"], 50),
        ("“Honda đầu” cho 12 hộ",
         rec("Ủy ban nhân dân phường Núi Sam", "Triển khai")["beneficiaries"], 12),
        ("… 240.000.000đ", rec("Ủy ban nhân dân phường Núi Sam", "Triển khai")["value"],
         240_000_000),
    ]
    pm = r.get("piggyBankModel")
    if pm:
        checks += [
            ("ống heo: ít nhất 1.000đ/ngày", pm["dailyTarget"], 1000),
            ("ống heo: kết thúc cuối tháng 11", int(pm["endsOn"] == "2024-11-30"), 1),
        ]
    bad = [c for c in checks if c[1] != c[2]]
    if bad:
        raise SystemExit("article figures not met: " + repr(bad))
    return [{"figure": t, "value": got} for t, got, _ in checks]


# ---------------------------------------------------------------- main

def to_json(value, indent=0, used=0):
    """JSON with two-space indents, but an object or array that fits on its line
    (`used` characters are already there) stays on it: a row of figures is one line."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, (dict, list)) or not value or used + len(flat) < JSON_WIDTH:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        heads = [f"{pad}{json.dumps(key, ensure_ascii=False)}: " for key in value]
        parts = [head + to_json(item, indent + 2, len(head))
                 for head, item in zip(heads, value.values())]
        return "{\n" + ",\n".join(parts) + "\n" + " " * indent + "}"
    parts = [pad + to_json(item, indent + 2, len(pad)) for item in value]
    return "[\n" + ",\n".join(parts) + "\n" + " " * indent + "]"


def main():
    parser = argparse.ArgumentParser(description="Write the demo's event files and expected.json.")
    parser.add_argument("--out", metavar="DIR",
                        help="write all three files into DIR (default: the event files into "
                             "Sources/ansinh/Demo, expected.json beside this script)")
    args = parser.parse_args()
    data_dir, expected_dir = (args.out, args.out) if args.out else (DATA, HERE)
    if args.out:
        os.makedirs(args.out, exist_ok=True)

    nui_sam = build_nui_sam(Rng(SEED + "/nui-sam")).lines()
    piggy = build_piggy(Rng(SEED + "/piggybank")).lines()

    for fname, lines in ((NUI_SAM_FILE, nui_sam), (PIGGY_FILE, piggy)):
        for line in lines:
            t, data = line["type"], line["data"]
            nested = [data[k] for k in ("donor", "beneficiary") if k in data]
            for obj in [data] + nested:
                for key in ("name", "fullName", "organisation", "programme", "cell"):
                    if key in obj:
                        assert 1 <= len(obj[key]) <= 200, (key, obj[key])
                for key in ("description", "reason", "decisionRef", "source", "receiptNo"):
                    if key in obj:
                        assert 1 <= len(obj[key]) <= 1000, (key, obj[key])
            if t == "FundOpened" and "purpose" in data:
                assert 1 <= len(data["purpose"]) <= 1000
        if fname == NUI_SAM_FILE:
            dates = [v for l in lines for k, v in l["data"].items()
                     if k.endswith("On") and k != "dueOn"]
            assert min(dates) >= PERIOD_FROM and max(dates) <= PERIOD_TO, (min(dates), max(dates))

    alone = replay([(NUI_SAM_FILE, nui_sam)])
    piggy_alone = replay([(PIGGY_FILE, piggy)])
    both = replay([(NUI_SAM_FILE, nui_sam), (PIGGY_FILE, piggy)],
                  histories=(MISTYPED_MEMBER, TYPED_AS_MEMBER), as_of=PIGGY_AS_OF)
    # the piggy-bank file touches nothing of the first file
    for report in ("periodReport", "periodReportAfterOpening"):
        for fid in (VNN, DODN, KH):
            assert alone[report]["funds"][fid] == both[report]["funds"][fid]
    assert piggy_alone["piggyBankModel"] == both["piggyBankModel"]
    assert piggy_alone["cells"] == both["cells"]

    write_jsonl(os.path.join(data_dir, NUI_SAM_FILE), nui_sam)
    write_jsonl(os.path.join(data_dir, PIGGY_FILE), piggy)

    def digest(name):
        with open(os.path.join(data_dir, name), "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()

    def file_figures(name, lines):
        return {"lines": len(lines), "sha256": digest(name),
                "funds": [l["data"]["fundId"] for l in lines if l["type"] == "FundOpened"],
                "reversals": sum(1 for l in lines if l["type"] == "EntryReversed")}

    expected = {
        "generatedBy": "tools/demo/generate.py (do not edit by hand; re-run the generator)",
        "conventions": {
            "money": "integer đồng",
            "positions": "log positions after importing nui-sam-2024.jsonl then "
                         "piggybank-2024.jsonl into an empty store",
            "events": "events in the log, in all and by type (reversals included)",
            "periodReport": "computed after importing nui-sam-2024.jsonl then "
                            "piggybank-2024.jsonl; the three funds of nui-sam-2024.jsonl "
                            "and the external support are the same when only that file "
                            "is imported; an-sinh-dang-bo appears only with the second "
                            "file. opening = openingBalance + movements dated before "
                            "'from'; received = donations + piggy-bank deposits dated in "
                            "the period, less reversals of them dated in it; counts are "
                            "entries less reversals; disbursed per purpose: count, "
                            "quantity and amount less reversals dated in the period; "
                            "closing = opening + received − disbursed. A reversal counts "
                            "on its own date (reversedOn).",
            "periodReportAfterOpening": "the same for a period starting after the funds "
                                        "opened: its openings carry every movement dated "
                                        "before it forward",
            "fundBalancesAtEnd": "after importing both files (all dates). pledged = Σ of "
                                 "live pledges (neither cancelled nor reversed), as "
                                 "`ansinh funds` shows; outstandingPledges = Σ over live "
                                 "pledges of max(0, pledged − received against it). "
                                 "register: as `ansinh fund show` lists it (by date, money "
                                 "in before money out within a day, then by position); "
                                 "corrections are its rows of reversals and of the entries "
                                 "they reverse.",
            "pledges": "status: cancelled, reversed, met (received ≥ amount) or outstanding; "
                       "a surplus is what was given beyond the pledge",
            "reversals": "every EntryReversed, with the entry it reverses",
            "cells": "as `ansinh cells`: members now (not left) and ever, deposits less "
                     "reversals",
            "memberHistories": "as `ansinh member history`: total, distinct days with a "
                               "deposit that stands, days covered (total ÷ daily target, "
                               "rounded down), last deposit that stands, how many rows "
                               "(deposits and reversals)",
            "memberDeposits": "every row of the histories of the members a correction "
                              "touched: by date, then position; a reversal on its own "
                              "date, taking its deposit away",
            "piggyBankModel": "a day counts for a member when enrolledOn ≤ day and (no "
                              "leftOn or day < leftOn), within [startsOn, countedThrough]; "
                              "expectedAtTarget = Σ enrolled days × dailyTarget; "
                              "membersEnrolled = members with ≥ 1 enrolled day or a "
                              "deposit; participating = ≥ 1 deposit (less reversals); below "
                              "target = deposited < expected (shortfall = expected − "
                              "deposited), largest shortfall first; attainment in "
                              "hundredths of a percent, rounded down; names NFC.",
            "piggyBankModelAsOf": "the summary as of the end of asOf: deposits dated up to "
                                  "it less reversals dated up to it, expected up to it",
        },
        "files": {
            NUI_SAM_FILE: file_figures(NUI_SAM_FILE, nui_sam),
            PIGGY_FILE: file_figures(PIGGY_FILE, piggy),
        },
        "nfdEncodedMembers": {
            "note": "these MemberEnrolled lines carry fullName in NFD; shown here in NFC, "
                    "as a correct program stores and prints them",
            "members": {mid: name for mid, name in sorted(NFD_MEMBERS.items())}},
        "events": both["events"],
        "periodReport": both["periodReport"],
        "periodReportAfterOpening": both["periodReportAfterOpening"],
        "fundBalancesAtEnd": both["fundBalancesAtEnd"],
        "pledges": both["pledges"],
        "reversals": both["reversals"],
        "cells": both["cells"],
        "memberHistories": both["memberHistories"],
        "memberDeposits": both["memberDeposits"],
        "piggyBankModel": both["piggyBankModel"],
        "piggyBankModelAsOf": both["piggyBankModelAsOf"],
        "articleFigures": article_checks(both),
    }
    with open(os.path.join(expected_dir, EXPECTED_FILE), "w", encoding="utf-8",
              newline="\n") as fh:
        fh.write(to_json(expected) + "\n")

    pm = both["piggyBankModel"]
    print(f"{NUI_SAM_FILE}: {len(nui_sam)} lines; {PIGGY_FILE}: {len(piggy)} lines; "
          f"{len(both['reversals'])} reversals")
    for fid, fr in both["periodReport"]["funds"].items():
        print(f"  {fid}: opening {vnd(fr['opening'])}, received {vnd(fr['received'])}, "
              f"disbursed {vnd(fr['disbursedTotal'])}, closing {vnd(fr['closing'])}")
    ex = both["periodReport"]["externalSupport"]
    print(f"  external support: {ex['count']} records, {ex['beneficiaries']} "
          f"beneficiaries, {vnd(ex['value'])} đ")
    print(f"  piggy bank: {pm['membersEnrolled']} members, {pm['membersParticipating']} "
          f"participating, collected {vnd(pm['totalCollected'])} of "
          f"{vnd(pm['expectedAtTarget'])} ({pm['attainmentPercent']}%), "
          f"{pm['membersBelowTarget']} below target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
