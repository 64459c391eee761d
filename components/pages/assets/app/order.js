// The tracking page's live part: reads the public order answer
// (GET /v1/public/orders/{id}) and shows its inspection photos, whatever
// form the answer gives them in (`photos`, `inspection_photos`, or
// `inspection.photos`; each a URL or an object with `url`, labelled by its
// `part` and `view` when it has them), and refreshes the status every 30 s
// while the order is still moving.
const el = document.getElementById('live-order');
const photos = document.getElementById('photos');

// "Part 2, top view", as the server-rendered links say it.
function labelOf(p) {
  const view = p.view || p.name || p.label;
  if (p.part && view) return `Part ${p.part}, ${view} view`;
  if (p.part) return `Part ${p.part}`;
  return view ? `${view} view` : '';
}

function urlsOf(answer) {
  // Labelled lists first: a URL seen again later keeps its label.
  const lists = [answer.photos, answer.inspection_photos, answer.inspection && answer.inspection.photos];
  const urls = [];
  for (const list of lists) {
    for (const p of Array.isArray(list) ? list : []) {
      const url = typeof p === 'string' ? p : p && (p.url || p.href);
      const label = p && typeof p === 'object' ? labelOf(p) : '';
      if (url && /^https?:\/\//.test(url) && !urls.some((u) => u.url === url)) urls.push({ url, label });
    }
  }
  return urls;
}

async function refresh() {
  const res = await fetch(`/v1/public/orders/${encodeURIComponent(el.dataset.publicOrderId)}`, { headers: { accept: 'application/json' } });
  if (!res.ok) return;
  const answer = await res.json();
  const status = document.getElementById('order-status-value');
  if (status && answer.status) status.textContent = answer.status;
  const list = urlsOf(answer);
  if (list.length && photos) {
    photos.replaceChildren();
    const h = document.createElement('h2');
    h.textContent = 'Inspection photos';
    photos.appendChild(h);
    for (const [i, p] of list.entries()) {
      const fig = document.createElement('figure');
      const img = document.createElement('img');
      img.src = p.url;
      img.alt = `Inspection photo ${i + 1}${p.label ? ` (${p.label})` : ''} of the printed part`;
      img.loading = 'lazy';
      fig.appendChild(img);
      if (p.label) {
        const cap = document.createElement('figcaption');
        cap.textContent = p.label;
        fig.appendChild(cap);
      }
      photos.appendChild(fig);
    }
  }
  if (!['delivered', 'cancelled', 'refunded'].includes(answer.status)) setTimeout(refresh, 30000);
}

if (el) refresh();
