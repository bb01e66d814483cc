#!/bin/sh
# Put Flow Studio in your desktop's application menu (for your user only; no root needed).
#
#     ./install.sh              add the menu entry, icons and AppStream data
#     ./install.sh --uninstall  remove them again (the unpacked folder itself stays)
#
# The entry starts FlowStudio from the folder this script is in: move the folder first if you
# want it elsewhere, then run this script again.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ID=io.github.flowstudio.FlowStudio
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
SIZES="16 24 32 48 64 128 256 512"

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$DATA/applications/$ID.desktop" "$DATA/metainfo/$ID.metainfo.xml" "$DATA/icons/hicolor/scalable/apps/$ID.svg"
    for size in $SIZES; do rm -f "$DATA/icons/hicolor/${size}x${size}/apps/$ID.png"; done
    echo "Flow Studio's menu entry was removed (the folder $HERE was left as it is)."
    exit 0
fi

ICONS="$HERE/_internal/resources/icons"
mkdir -p "$DATA/applications" "$DATA/metainfo" "$DATA/icons/hicolor/scalable/apps"
for size in $SIZES; do
    mkdir -p "$DATA/icons/hicolor/${size}x${size}/apps"
    cp "$ICONS/flowstudio-$size.png" "$DATA/icons/hicolor/${size}x${size}/apps/$ID.png"
done
cp "$ICONS/flowstudio.svg" "$DATA/icons/hicolor/scalable/apps/$ID.svg"
cp "$HERE/share/$ID.metainfo.xml" "$DATA/metainfo/$ID.metainfo.xml"
sed "s|@BUNDLE@|$HERE|g" "$HERE/share/$ID.desktop" > "$DATA/applications/$ID.desktop"
chmod +x "$DATA/applications/$ID.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$DATA/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
echo "Flow Studio is in your application menu (entry: $DATA/applications/$ID.desktop)."
echo "To remove it: $HERE/install.sh --uninstall"
