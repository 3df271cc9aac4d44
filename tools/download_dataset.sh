#!/usr/bin/env bash
# Downloads one of the public unpaired datasets published with the CycleGAN paper into
# datasets/NAME (trainA, trainB, testA, testB), from the authors' server at
# http://efrosgans.eecs.berkeley.edu/cyclegan/datasets/NAME.zip.
#
# Usage: tools/download_dataset.sh NAME
# Then:  cyclegan train --dataroot datasets/NAME --name NAME
set -euo pipefail

readonly DATASETS=(
    apple2orange summer2winter_yosemite horse2zebra monet2photo cezanne2photo ukiyoe2photo
    vangogh2photo maps facades iphone2dslr_flower ae_photos grumpifycat mini
)
readonly BASE_URL="http://efrosgans.eecs.berkeley.edu/cyclegan/datasets"

usage() {
    echo "usage: $0 NAME" >&2
    echo "NAME is one of: ${DATASETS[*]}" >&2
}

if [[ $# -ne 1 || "$1" == "-h" || "$1" == "--help" ]]; then
    usage
    [[ $# -eq 1 ]] && exit 0
    exit 2
fi
name="$1"

if [[ "$name" == "cityscapes" ]]; then
    echo "error: the Cityscapes license does not allow redistribution, so there is no" >&2
    echo "cityscapes.zip to download; register at https://www.cityscapes-dataset.com and" >&2
    echo "arrange its images into trainA/ and trainB/ folders yourself." >&2
    exit 2
fi
known=0
for dataset in "${DATASETS[@]}"; do
    [[ "$dataset" == "$name" ]] && known=1
done
if [[ $known -eq 0 ]]; then
    echo "error: unknown dataset '$name'" >&2
    usage
    exit 2
fi

for tool in unzip; do
    command -v "$tool" >/dev/null || { echo "error: $tool is not installed" >&2; exit 1; }
done
if command -v curl >/dev/null; then
    fetch() { curl --fail --location --retry 3 --output "$2" "$1"; }
elif command -v wget >/dev/null; then
    fetch() { wget --tries=3 --output-document="$2" "$1"; }
else
    echo "error: neither curl nor wget is installed" >&2
    exit 1
fi

# datasets/ sits in the repository root, whatever folder the script is run from.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$root/datasets/$name"
if [[ -e "$target" ]]; then
    echo "error: $target already exists; delete it to download again" >&2
    exit 1
fi
mkdir -p "$root/datasets"

# Download and unpack in a scratch folder beside the target, so an interrupted download
# leaves no half-filled datasets/NAME.
scratch="$(mktemp -d "$root/datasets/.download-$name.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

url="$BASE_URL/$name.zip"
echo "downloading $url"
fetch "$url" "$scratch/$name.zip"
echo "unpacking into $target"
unzip -q "$scratch/$name.zip" -d "$scratch/unpacked"
if [[ ! -d "$scratch/unpacked/$name" ]]; then
    echo "error: $name.zip has no top-level folder '$name'; its contents are:" >&2
    ls "$scratch/unpacked" >&2
    exit 1
fi
mv "$scratch/unpacked/$name" "$target"
for folder in trainA trainB testA testB; do
    if [[ -d "$target/$folder" ]]; then
        count=$(find "$target/$folder" -type f | wc -l)
        echo "  $folder: $count files"
    fi
done
echo "done. Train with: cyclegan train --dataroot datasets/$name --name $name"
