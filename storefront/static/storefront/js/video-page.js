// The video page: keep the "In this scene" panel and the chapter list in step with the
// player, and make chapters seek instead of reloading the page. Without this script the
// page still works: chapters are links to ?t=SECONDS and every look is listed below.
import { createPlayer } from "./players.js";

const config = JSON.parse(document.getElementById("player-config").textContent);
const panel = document.querySelector("[data-scene-panel]");
const sections = panel ? [...panel.querySelectorAll("[data-scene-id]")] : [];
const between = panel && panel.querySelector(".scene-panel__between");
const chapters = [...document.querySelectorAll("a[data-seek]")];
const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

let shown;

// The scene playing at `seconds`; past the last scene's end (the video is over), the last
// scene, so its products stay on screen. storefront.views.scene_at is the same rule.
function sceneAt(seconds) {
  const last = config.scenes[config.scenes.length - 1];
  if (last && seconds >= last.end) return last;
  return config.scenes.find((scene) => scene.start <= seconds && seconds < scene.end) || null;
}

function show(seconds) {
  const scene = sceneAt(seconds);
  const id = scene ? String(scene.id) : "";
  if (id === shown) return;
  shown = id;
  // Only the entering section becomes visible, so the polite live region announces it.
  for (const section of sections) section.hidden = section.dataset.sceneId !== id;
  if (between) between.hidden = id !== "";
  for (const link of chapters) {
    const current = link.dataset.scene === id;
    link.closest("li").classList.toggle("is-current", current);
    if (current) link.setAttribute("aria-current", "true");
    else link.removeAttribute("aria-current");
  }
  if (panel) panel.dataset.currentScene = id;
}

function startFromHash() {
  const match = /^#scene-(\d+)$/.exec(window.location.hash);
  const scene = match && config.scenes.find((s) => String(s.id) === match[1]);
  return scene ? scene.start : null;
}

// The player could not load (the provider unreachable, a missing file): show the poster
// and a link to watch elsewhere. Chapters and the panel go on without seeking.
function fallBack(root) {
  for (const media of root.querySelectorAll("iframe, video")) media.hidden = true;
  const offline = root.querySelector(".player__offline");
  if (offline) offline.hidden = false;
  root.classList.add("player--offline");
  document.documentElement.dataset.playerReady = "offline";
}

async function main() {
  const root = document.getElementById("player");
  if (!root || !config.provider) return;
  let player = null;
  try {
    player = await createPlayer(root, config);
  } catch {
    player = null;
  }
  if (player) {
    document.documentElement.dataset.playerReady = config.provider;
    player.onTime(show);
    player.onFail(() => {
      player = null;
      fallBack(root);
    });
  } else {
    fallBack(root);
  }

  const hashStart = startFromHash();
  const start = hashStart ?? config.start;
  if (start && player) player.seek(start);
  show(start || 0);

  for (const link of chapters) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const seconds = Number(link.dataset.seek);
      show(seconds);
      history.replaceState(null, "", link.getAttribute("href"));
      if (!player) return;
      player.seek(seconds);
      player.play();
      root.scrollIntoView({ behavior: reducedMotion ? "auto" : "smooth", block: "nearest" });
    });
  }
  window.addEventListener("hashchange", () => {
    const seconds = startFromHash();
    if (seconds !== null) {
      if (player) player.seek(seconds);
      show(seconds);
    }
  });
}

main();
