// Renders every tray icon from tray.svg: macOS template images (black + alpha, 16 px and @2x),
// Windows .ico (16, 24, 32, 48) and Linux PNGs (32 px), for the serving, paused and attention looks.
// Run after changing tray.svg: node resources/tray/make-icons.mjs (the results are committed).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import pngToIco from 'png-to-ico';

const here = dirname(fileURLToPath(import.meta.url));
const source = readFileSync(join(here, 'tray.svg'), 'utf8');
const badges = {
  serving: '',
  paused: '<g fill="{{BADGE_COLOR}}"><rect x="21" y="1" width="3.5" height="10" rx="1"/><rect x="26.5" y="1" width="3.5" height="10" rx="1"/></g>',
  attention: '<circle cx="25.5" cy="6.5" r="6" fill="{{BADGE_COLOR}}"/><rect x="24.5" y="2.5" width="2" height="5" rx="1" fill="#fff"/><rect x="24.5" y="8.5" width="2" height="2" rx="1" fill="#fff"/>',
};
const render = (look, size, color, badgeColor) =>
  new Resvg(source.replace('{{BADGE}}', badges[look]).replaceAll('{{BADGE_COLOR}}', badgeColor).replaceAll('{{COLOR}}', color), { fitTo: { mode: 'width', value: size } })
    .render()
    .asPng();

for (const look of Object.keys(badges)) {
  // macOS draws template images itself in the menu bar's colour: black and alpha only.
  writeFileSync(join(here, `tray-${look}Template.png`), render(look, 16, '#000', '#000'));
  writeFileSync(join(here, `tray-${look}Template@2x.png`), render(look, 32, '#000', '#000'));
  const badge = look === 'attention' ? '#d93025' : '#f29900';
  writeFileSync(join(here, `tray-${look}.png`), render(look, 32, '#e8eaed', badge));
  writeFileSync(join(here, `tray-${look}.ico`), await pngToIco([16, 24, 32, 48].map((s) => render(look, s, '#ffffff', badge))));
}
// The app icon for installers and the Linux autostart entry.
writeFileSync(join(here, '..', 'icon.png'), new Resvg(source.replace('{{BADGE}}', '').replaceAll('{{COLOR}}', '#2563eb'), { fitTo: { mode: 'width', value: 512 } }).render().asPng());
console.log('tray icons written to', here);
