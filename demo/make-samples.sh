#!/usr/bin/env bash
# Re-create the demo's sample images (committed; this script only
# documents how they were made). Needs imagemagick and fonts-dejavu-core.
# The documents are invented: no real person, shop or number.
set -euo pipefail
cd "$(dirname "$0")/samples"
font=/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf

receipt='      GREENLEAF GROCERS LTD
   12 Harbour Road, Portside
      Tel: 01632 960 415

Receipt No: R-20931
Date: 14/03/2025   Time: 10:42

Apples 1kg              3.20
Wholemeal bread         2.15
Milk 2L                 1.89
Coffee beans 500g       7.50

SUBTOTAL               14.74
VAT 20%                 2.95
TOTAL                  17.69

CASH                   20.00
CHANGE                  2.31

   Thank you for shopping!'

form='          MEMBERSHIP APPLICATION FORM

Applicant details

First name: ______________________
Surname: _________________________
Date of birth: ___________________
Telephone: _______________________
Email: ___________________________
Address: _________________________

Membership type:  [ ] Adult   [ ] Student

Signature: _______________________
Date: ____________________________'

idcard='            MEMBER IDENTITY CARD

First name: Jordan
Surname: Ellery
Date of birth: 07/09/1991
Telephone: 01632 960 782
Email: jordan.ellery@example.org
Address: 4 Mill Lane, Portside
Card No: MC-448120'

render() {
    local out=$1 text=$2 size=$3 angle=$4
    convert -background white -fill black -font "$font" \
        -pointsize "$size" label:"$text" -bordercolor white -border 60 \
        -rotate "$angle" -background white -flatten \
        -attenuate 0.08 +noise Gaussian -colorspace Gray -depth 8 \
        -strip "$out"
}

render receipt.png "$receipt" 26 0.6
render form.png "$form" 26 -0.4
render idcard.png "$idcard" 26 0.3
# a JPEG too, as phones send
convert receipt.png -quality 85 -strip receipt.jpg
rm receipt.png

# A Chinese receipt for the chi_sim test (needs fonts-wqy-zenhei).
zh='收据
日期: 2025年3月14日
商店: 绿叶超市
苹果  3.20
牛奶  1.89
合计: 5.09 元'
convert -background white -fill black \
    -font /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc -pointsize 34 \
    label:"$zh" -bordercolor white -border 40 -colorspace Gray -depth 8 \
    -strip ../../tests/fixtures/receipt_zh.png
