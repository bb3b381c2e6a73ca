{-# LANGUAGE BangPatterns #-}
-- | A busy scheduler, for the large benchmark eventlog (bench/gen_large.sh).
--
-- Built with -threaded -eventlog and run with +RTS -N2 -l, every round of it
-- makes the RTS write tens of thousands of small scheduler events:
--
--   * a burst of short-lived threads (CREATE_THREAD, RUN/STOP_THREAD with
--     status ThreadFinished, MIGRATE_THREAD between the two capabilities),
--     each handing its result back through an MVar;
--   * MVar ping-pong between two threads (STOP_THREAD BlockedOnMVar,
--     THREAD_WAKEUP, RUN_THREAD on every hand-over);
--   * traceEventIO user messages of varying length and traceMarkerIO markers
--     (USER_MSG, USER_MARKER), a few per round;
--   * enough allocation for frequent parallel GCs (GC_START/END, GC_WORK,
--     GC_IDLE, HEAP_ALLOCATED, GC_STATS_GHC, ...).
--
-- The eventlog grows linearly with ROUNDS (about 65 KB and 4000 events per round); the
-- output on stdout is one checksum, deterministic for a given ROUNDS.
--
-- Usage: busy [ROUNDS]        (default 100)
module Main (main) where

import Control.Concurrent (forkIO, forkOn, myThreadId, threadCapability, yield)
import Control.Concurrent.MVar
import Control.Exception (evaluate)
import Control.Monad (forM_, replicateM_, when)
import Data.IORef
import Debug.Trace (traceEventIO, traceMarkerIO)
import System.Environment (getArgs)
import System.Exit (exitFailure)
import System.IO (hPutStrLn, stderr)
import Text.Read (readMaybe)

threadsPerRound, pingPongsPerRound :: Int
threadsPerRound = 200
pingPongsPerRound = 400

main :: IO ()
main = do
  args <- getArgs
  rounds <- case args of
    [] -> pure 100
    [s] | Just n <- readMaybe s, n >= 1 -> pure (n :: Int)
    _ -> do hPutStrLn stderr "usage: busy [ROUNDS>=1]"; exitFailure
  total <- newIORef (0 :: Int)
  forM_ [1 .. rounds] $ \r -> do
    when (r `mod` 50 == 1) $ traceMarkerIO ("round " ++ show r)
    a <- burst r
    b <- pingPong r
    modifyIORef' total (\t -> (t + a + b) `mod` 1000000007)
  readIORef total >>= print

-- | Many short-lived threads, each doing a little allocating work.
burst :: Int -> IO Int
burst r = do
  done <- newEmptyMVar
  forM_ [1 .. threadsPerRound] $ \i -> forkIO $ do
    let !x = work (i + r) (5 + i `mod` 40)
    when (i `mod` 64 == 0) $
      traceEventIO ("burst " ++ show r ++ " thread " ++ show i ++ replicate (i `mod` 23) '.')
    when (i `mod` 7 == 0) yield
    putMVar done x
  go done threadsPerRound 0
  where
    go _ 0 !acc = pure acc
    go done n !acc = do
      x <- takeMVar done
      go done (n - 1) ((acc + x) `mod` 1000000007)

-- | Two threads handing a counter back and forth through two MVars.
pingPong :: Int -> IO Int
pingPong r = do
  ping <- newEmptyMVar
  pong <- newEmptyMVar
  -- The partner runs on our capability, so most hand-overs are context
  -- switches inside one capability rather than OS-level wake-ups.
  (cap, _) <- myThreadId >>= threadCapability
  _ <- forkOn cap $ replicateM_ pingPongsPerRound $ do
    v <- takeMVar ping
    v' <- evaluate (v + work v 3)
    putMVar pong v'
  let loop :: Int -> Int -> IO Int
      loop 0 !acc = pure acc
      loop n !acc = do
        putMVar ping acc
        acc' <- takeMVar pong
        when (n `mod` 100 == 0) $
          traceEventIO ("pong " ++ show r ++ "/" ++ show n ++ " = " ++ show acc')
        loop (n - 1) (acc' `mod` 1000000007)
  loop pingPongsPerRound r

-- | A small allocating computation (a short list, summed).
work :: Int -> Int -> Int
work seed len = sum [ (seed * k) `mod` 9973 | k <- [1 .. len] ]
