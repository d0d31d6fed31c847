// Player adapters: YouTube (IFrame API), Vimeo (player API) and self-hosted MP4/HLS
// (<video>) behind one interface. Times given to and received from an adapter are on the
// video's scene timeline: the source's offset is applied here and nowhere else.
//
//   const player = await createPlayer(root, { provider, offset });  // rejects if it cannot load
//   player.onTime((seconds) => ...);   // while playing and after every seek
//   player.onFail(() => ...);          // the media failed later (a missing file)
//   player.seek(seconds);
//   player.play(); player.pause(); player.paused();
//   player.duration();                 // seconds on the source, 0 until known

const scripts = new Map();

function loadScript(src) {
  if (!scripts.has(src)) {
    scripts.set(
      src,
      new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = src;
        script.async = true;
        script.onload = resolve;
        script.onerror = () => reject(new Error(`Could not load ${src}`));
        document.head.append(script);
      }),
    );
  }
  return scripts.get(src);
}

function mediaAdapter(video) {
  const whenReady = new Promise((resolve) => {
    if (video.readyState >= 1) resolve();
    else video.addEventListener("loadedmetadata", () => resolve(), { once: true });
  });
  return {
    onFail(callback) {
      // The file is missing or unplayable: an error now, or one already recorded.
      if (video.error) callback();
      else video.addEventListener("error", () => callback(), { once: true });
    },
    onTime(callback) {
      const report = () => callback(video.currentTime);
      for (const name of ["timeupdate", "seeking", "seeked", "loadedmetadata"]) {
        video.addEventListener(name, report);
      }
    },
    async seek(seconds) {
      await whenReady;
      video.currentTime = seconds;
    },
    play() {
      // Browsers may refuse to start with sound before a gesture; the user can press play.
      video.play().catch(() => {});
    },
    pause: () => video.pause(),
    paused: () => video.paused,
    duration: () => (Number.isFinite(video.duration) ? video.duration : 0),
    currentTime: () => video.currentTime,
  };
}

async function hlsAdapter(video, root) {
  // Safari and recent Chromium play HLS themselves; elsewhere the vendored hls.js feeds
  // the same <video> through Media Source Extensions. It is loaded only for HLS pages.
  if (!video.canPlayType("application/vnd.apple.mpegurl") && root.dataset.hlsScript) {
    try {
      await loadScript(root.dataset.hlsScript);
    } catch {
      // Fall through to the message below.
    }
    if (window.Hls && window.Hls.isSupported()) {
      const src = video.getAttribute("src").split("#")[0];
      video.removeAttribute("src");
      const hls = new window.Hls();
      hls.loadSource(src);
      hls.attachMedia(video);
      return mediaAdapter(video);
    }
    const fallback = root.querySelector(".player__fallback");
    if (fallback) fallback.hidden = false;
  }
  return mediaAdapter(video);
}

async function youtubeAdapter(iframe) {
  if (!(window.YT && window.YT.Player)) {
    const ready = new Promise((resolve) => {
      const previous = window.onYouTubeIframeAPIReady;
      window.onYouTubeIframeAPIReady = () => {
        if (previous) previous();
        resolve();
      };
    });
    await loadScript("https://www.youtube.com/iframe_api");
    await ready;
  }
  const listeners = [];
  let timer = null;
  const report = () => listeners.forEach((callback) => callback(player.getCurrentTime()));
  const player = await new Promise((resolve) => {
    const instance = new window.YT.Player(iframe, {
      events: {
        onReady: () => resolve(instance),
        onStateChange: (event) => {
          // The IFrame API has no time event: poll while playing, report once otherwise.
          clearInterval(timer);
          if (event.data === window.YT.PlayerState.PLAYING) timer = setInterval(report, 250);
          report();
        },
      },
    });
  });
  return {
    onFail() {},
    onTime(callback) {
      listeners.push(callback);
    },
    seek(seconds) {
      player.seekTo(seconds, true);
      report();
    },
    play: () => player.playVideo(),
    pause: () => player.pauseVideo(),
    paused: () => player.getPlayerState() !== window.YT.PlayerState.PLAYING,
    duration: () => player.getDuration() || 0,
    currentTime: () => player.getCurrentTime(),
  };
}

async function vimeoAdapter(iframe) {
  if (!(window.Vimeo && window.Vimeo.Player)) {
    await loadScript("https://player.vimeo.com/api/player.js");
  }
  const player = new window.Vimeo.Player(iframe);
  if (player.ready) await player.ready();
  let last = 0;
  let paused = true;
  let length = 0;
  player.on("play", () => (paused = false));
  player.on("pause", () => (paused = true));
  player.on("ended", () => (paused = true));
  // Only the studio asks for the duration; a player without it just reports 0.
  Promise.resolve()
    .then(() => player.getDuration())
    .then((seconds) => (length = seconds || 0), () => {});
  return {
    onFail() {},
    onTime(callback) {
      const report = (data) => {
        last = data.seconds;
        callback(data.seconds);
      };
      player.on("timeupdate", report);
      player.on("seeked", report);
    },
    seek: (seconds) => player.setCurrentTime(seconds),
    play: () => player.play().catch(() => {}),
    pause: () => player.pause().catch(() => {}),
    paused: () => paused,
    duration: () => length,
    currentTime: () => last,
  };
}

const ADAPTERS = {
  mp4: (root) => mediaAdapter(root.querySelector("video")),
  hls: (root) => hlsAdapter(root.querySelector("video"), root),
  youtube: (root) => youtubeAdapter(root.querySelector("iframe")),
  vimeo: (root) => vimeoAdapter(root.querySelector("iframe")),
};

// A provider's script that has not answered by then counts as unreachable.
const LOAD_TIMEOUT_MS = 10_000;

function withTimeout(promise, ms) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error("Player timed out")), ms)),
  ]);
}

export async function createPlayer(root, { provider, offset = 0, loadTimeout = LOAD_TIMEOUT_MS }) {
  const make = ADAPTERS[provider];
  if (!make) return null;
  const adapter = await withTimeout(Promise.resolve(make(root)), loadTimeout);
  return {
    onFail: (callback) => adapter.onFail(callback),
    onTime(callback) {
      adapter.onTime((seconds) => callback(Math.max(0, seconds - offset)));
    },
    seek: (seconds) => adapter.seek(Math.max(0, seconds + offset)),
    play: () => adapter.play(),
    pause: () => adapter.pause(),
    paused: () => adapter.paused(),
    duration: () => Math.max(0, adapter.duration() - offset),
    currentTime: () => Math.max(0, adapter.currentTime() - offset),
  };
}
