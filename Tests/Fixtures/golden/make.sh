#!/usr/bin/env bash
# Writes the golden store: a small history with every kind of event, recorded through
# the command line with fixed event ids, a fixed actor and a fixed clock, then its
# export. The committed store and export in this folder were written by this script;
# GoldenStoreTests opens that store, verifies it, migrates it, and runs this script
# again to check that today's program writes the same history.
#
# The committed store is of format 1 (people's names in the clear), written before names
# were sealed; it stays as it is, to pin that format and its migration. Today this
# script writes a store of format 2, whose events differ (names sealed under keys drawn
# at random) and whose internal export is otherwise the committed one, byte for byte.
#
#   Tests/Fixtures/golden/make.sh ANSINH STORE EXPORT
#
# Regenerate only when the format changes on purpose (a new store format), never to
# make a failing test pass.
set -euo pipefail
A=$1 S=$2 E=$3
export ANSINH_TEST_TODAY=2024-12-31 ANSINH_ACTOR=thu-ky-golden
id() { printf '00000000-0000-4000-8000-%012d' "$1"; }
r() { "$A" "$@" --store "$S" >/dev/null; }

"$A" init --ward "Núi Sam" --province "An Giang" --store "$S" >/dev/null
r fund open vi-nguoi-ngheo --name "Quỹ “Vì người nghèo”" --opening-balance 1.000.000 --purpose "Giúp hộ nghèo" --date 2024-01-01 --event-id "$(id 1)"
r fund open an-sinh-dang-bo --name "Quỹ an sinh Đảng bộ" --date 2024-05-01 --event-id "$(id 2)"
r member enrol dv-001 --name "Nguyễn Thị Ngọc Hường" --cell "Chi bộ khóm Vĩnh Đông 1" --date 2024-01-01 --event-id "$(id 3)"
r member enrol dv-002 --name "Trần Quốc Việt" --cell "Chi bộ khóm Vĩnh Tây 2" --date 2024-01-01 --event-id "$(id 4)"
r pledge make p-vinh-te --fund vi-nguoi-ngheo --donor "Công ty Vĩnh Tế" --donor-kind business --amount 20.000.000 --due 2024-12-31 --date 2024-02-01 --event-id "$(id 5)"
r donate --fund vi-nguoi-ngheo --donor "Công ty Vĩnh Tế" --donor-kind business --amount 15.000.000 --pledge p-vinh-te --receipt PT-0001 --date 2024-02-10 --event-id "$(id 6)"
r donate --fund vi-nguoi-ngheo --donor "Lê Văn Tám" --donor-kind individual --amount 500.000 --receipt PT-0002 --date 2024-02-11 --event-id "$(id 7)"
r reverse "$(id 7)" --reason "Ghi trùng phiếu thu PT-0001" --date 2024-02-12 --event-id "$(id 8)"
r pledge make p-bay-nui --fund vi-nguoi-ngheo --donor "Công ty Xây dựng Bảy Núi" --donor-kind business --amount 15.000.000 --date 2024-03-01 --event-id "$(id 9)"
r pledge cancel p-bay-nui --reason "Doanh nghiệp rút cam kết" --date 2024-03-15 --event-id "$(id 10)"
r disburse bhyt-2024-1 --fund vi-nguoi-ngheo --purpose healthInsurance --beneficiary "Hộ cận nghèo khóm Vĩnh Tây 1" --beneficiary-kind nearPoorHousehold --amount 5.457.000 --quantity 9 --decision "Quyết định 05/QĐ-MTTQ" --date 2024-04-02 --event-id "$(id 11)"
r piggybank start ong-heo-2024 --name "Ống heo tiết kiệm" --fund an-sinh-dang-bo --starts 2024-05-19 --ends 2024-11-30 --daily-target 1000 --event-id "$(id 12)"
r deposit --model ong-heo-2024 --member dv-001 --amount 31.000 --date 2024-06-18 --event-id "$(id 13)"
r deposit --model ong-heo-2024 --member dv-002 --amount 30.000 --date 2024-06-18 --event-id "$(id 14)"
r reverse "$(id 14)" --reason "Ghi nhầm đảng viên" --date 2024-06-19 --event-id "$(id 15)"
r deposit --model ong-heo-2024 --member dv-001 --amount 30.000 --date 2024-06-19 --event-id "$(id 16)"
r external record --organisation "Hội Khuyến học phường Núi Sam" --programme "Khuyến học" --description "610 suất quà cho học sinh" --beneficiaries 610 --value 133.251.000 --source "Nhà hảo tâm" --date 2024-08-15 --event-id "$(id 17)"
r member leave dv-002 --reason "Chuyển sinh hoạt đảng" --date 2024-09-01 --event-id "$(id 18)"
r period close --through 2024-09-30 --decision "Quyết định 12/QĐ-MTTQ" --event-id "$(id 19)"
r piggybank close ong-heo-2024 --decision "Nghị quyết 68-NQ/ĐU" --date 2024-11-30 --event-id "$(id 20)"
"$A" export --internal --store "$S" --out "$E" >/dev/null
