-- | The program tests/ghc/ghc_test.py records eventlogs from.
--
-- Usage: trace COUNT      post COUNT user messages, in batches of 500 with
--                         a pause after each, allocating as it goes; about
--                         1 s for COUNT = 20000, then exit normally
--        trace forever    the same without end, until killed (as a safety
--                         net it gives up after 30 s, so a test harness that
--                         dies first cannot leave it filling the disk)
--
-- Every message is "elog-test-msg N " padded to ~200 bytes, so that the
-- GHC 9.0 RTS, which writes its 2 MB per-capability event buffer only when
-- it is full or at exit, writes several buffers while the program runs: a
-- followed file grows in steps, and a killed program leaves complete blocks
-- behind.
module Main (main) where

import Control.Concurrent (threadDelay)
import Control.Exception (evaluate)
import Control.Monad (forM_, when)
import Debug.Trace (traceEventIO)
import GHC.Clock (getMonotonicTime)
import System.Environment (getArgs)
import System.Exit (exitFailure)
import System.IO (hPutStrLn, stderr)
import Text.Read (readMaybe)

batch :: Int
batch = 500

message :: Int -> String
message n = "elog-test-msg " ++ show n ++ " " ++ replicate 180 (toEnum (97 + n `mod` 26))

-- | Post messages [from, from + batch) and allocate a little for each.
postBatch :: Int -> Int -> IO ()
postBatch from count =
  forM_ [from .. from + count - 1] $ \n -> do
    traceEventIO (message n)
    _ <- evaluate (sum [1 .. (n `mod` 97) + 50 :: Int])
    pure ()

main :: IO ()
main = do
  args <- getArgs
  case args of
    ["forever"] -> do
      start <- getMonotonicTime
      let loop i = do
            postBatch i batch
            threadDelay 20000
            now <- getMonotonicTime
            if now - start > 30
              then hPutStrLn stderr "trace: not killed within 30 s, giving up" >> exitFailure
              else loop (i + batch)
      loop 0
    [s] | Just total <- readMaybe s, total >= 0 -> do
      let go i = when (i < total) $ do
            postBatch i (min batch (total - i))
            threadDelay 20000
            go (i + batch)
      go 0
    _ -> do
      hPutStrLn stderr "usage: trace COUNT | trace forever"
      exitFailure
