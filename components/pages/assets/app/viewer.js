// The 3D view of a part (three.js, vendored): STL, 3MF and OBJ, orbit
// controls (mouse, touch, and the arrow keys once the view has focus),
// and markers where the analysis located a finding.
//
// showPart(container, bytes, format) -> {addMarkers(points_mm, unitScale)}
// Elements with data-mesh-url and data-format are shown on load.
import * as THREE from 'three';
import { STLLoader } from 'three/addons/loaders/STLLoader.js';
import { ThreeMFLoader } from 'three/addons/loaders/3MFLoader.js';
import { OBJLoader } from 'three/addons/loaders/OBJLoader.js';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';

const PART_COLOR = 0x2f6fb3;

function objectOf(bytes, format) {
  const material = new THREE.MeshStandardMaterial({ color: PART_COLOR, metalness: 0.1, roughness: 0.6 });
  if (format === 'stl') {
    const geometry = new STLLoader().parse(bytes);
    geometry.computeVertexNormals();
    return new THREE.Mesh(geometry, material);
  }
  if (format === '3mf') {
    const group = new ThreeMFLoader().parse(bytes);
    group.traverse((o) => { if (o.isMesh) o.material = material; });
    return group;
  }
  if (format === 'obj') {
    const group = new OBJLoader().parse(new TextDecoder().decode(bytes));
    group.traverse((o) => { if (o.isMesh) { o.material = material; o.geometry.computeVertexNormals(); } });
    return group;
  }
  throw new Error(`no 3D view for .${format} files`);
}

export function formatOf(filename) {
  const m = /\.([a-z0-9]+)$/i.exec(filename || '');
  return m ? m[1].toLowerCase() : '';
}

export function showPart(container, bytes, format) {
  container.replaceChildren();
  const width = container.clientWidth || 600;
  const height = container.clientHeight || 360;
  // preserveDrawingBuffer: screenshots and the browser tests read the canvas.
  const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
  renderer.setSize(width, height);
  renderer.domElement.setAttribute('aria-hidden', 'true');
  container.appendChild(renderer.domElement);

  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xf4f6f8);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x556070, 1.6));
  const sun = new THREE.DirectionalLight(0xffffff, 1.8);
  sun.position.set(1, 2, 3);
  scene.add(sun);

  // Printers build along +Z; three.js looks along -Z with +Y up.
  const part = objectOf(bytes, format);
  const pivot = new THREE.Group();
  pivot.rotation.x = -Math.PI / 2;
  pivot.add(part);
  scene.add(pivot);
  const box = new THREE.Box3().setFromObject(pivot);
  const size = box.getSize(new THREE.Vector3());
  const center = box.getCenter(new THREE.Vector3());
  const radius = Math.max(size.length() / 2, 1e-3);

  const camera = new THREE.PerspectiveCamera(40, width / height, radius / 100, radius * 100);
  camera.position.copy(center).add(new THREE.Vector3(radius * 1.6, radius * 1.2, radius * 2.0));
  const controls = new OrbitControls(camera, renderer.domElement);
  controls.target.copy(center);
  controls.listenToKeyEvents(container);
  controls.update();

  const grid = new THREE.GridHelper(radius * 4, 20, 0x99a3ad, 0xcfd6dc);
  grid.position.set(center.x, box.min.y, center.z);
  scene.add(grid);

  const render = () => renderer.render(scene, camera);
  controls.addEventListener('change', render);
  new ResizeObserver(() => {
    const w = container.clientWidth, h = container.clientHeight;
    if (!w || !h) return;
    renderer.setSize(w, h);
    camera.aspect = w / h;
    camera.updateProjectionMatrix();
    render();
  }).observe(container);
  render();
  container.dataset.rendered = 'true';

  return {
    size,
    // points in millimetres; unitScale: millimetres per model unit.
    addMarkers(points, unitScale = 1) {
      // Drawn over the part (no depth test): a finding on a thin wall or
      // inside a cavity must stay visible from every side.
      const marker = new THREE.MeshBasicMaterial({ color: 0xd01c1c, depthTest: false });
      for (const p of points) {
        const dot = new THREE.Mesh(new THREE.SphereGeometry(radius / 25, 16, 12), marker);
        dot.renderOrder = 1;
        dot.position.set(p[0] / unitScale, p[1] / unitScale, p[2] / unitScale);
        part.add(dot);
      }
      render();
    },
  };
}

async function showFromUrl(el) {
  const status = el.querySelector('.viewer-status') || el;
  try {
    const res = await fetch(el.dataset.meshUrl);
    if (!res.ok) throw new Error(`the part could not be loaded (HTTP ${res.status})`);
    showPart(el, await res.arrayBuffer(), el.dataset.format);
  } catch (e) {
    status.textContent = `3D view unavailable: ${e.message}`;
    el.dataset.rendered = 'error';
  }
}

for (const el of document.querySelectorAll('[data-mesh-url]')) showFromUrl(el);
